// Bloom, Cuckoo, Count-Min and Top-K keys: their INFO figures (and Top-K's list) and a form
// that checks items (a read) or adds them (a write, hidden in read-only sessions).

import { h } from '../dom';
import type { Transport } from '../transport';
import type { ProbInfo, ProbOp } from '../api.gen';
import { button, table } from '../ui';

const KIND_NAMES: Record<ProbInfo['kind'], string> = {
  bloom: 'Bloom filter',
  cuckoo: 'Cuckoo filter',
  count_min: 'Count-Min sketch',
  top_k: 'Top-K',
};

/** What a check or add answer means, per kind. */
export function answerText(kind: ProbInfo['kind'], op: ProbOp, value: number): string {
  if (kind === 'count_min') return `≈ ${value}`;
  if (op === 'check') return value ? (kind === 'top_k' ? 'in the top' : 'may be present') : kind === 'top_k' ? 'not in the top' : 'not present';
  if (kind === 'top_k') return value ? 'added (pushed another out)' : 'added';
  return value ? 'added' : 'already present';
}

/** Mounts the view of probabilistic key `keyB64` (whose figures are `info`) into `host`. */
export function showProbabilistic(api: Transport, host: HTMLElement, keyB64: string, info: ProbInfo, readOnly: boolean): void {
  const figures = h('div', {});
  const results = h('div', { 'data-testid': 'prob-results' });
  const drawInfo = (i: ProbInfo) => {
    figures.replaceChildren(
      h('h3', {}, KIND_NAMES[i.kind]),
      table(['figure', 'value'], i.info.map((f) => [f.name, typeof f.value === 'object' ? JSON.stringify(f.value) : String(f.value)]), 'prob-info'),
      ...(i.kind === 'top_k' ? [h('h3', {}, 'Top items'), table(['item', 'count'], i.top.map((t) => [t.item, t.value]), 'prob-top')] : []),
    );
  };
  drawInfo(info);
  const items = h('textarea', { rows: '3', placeholder: 'items, one per line', 'data-testid': 'prob-items' });
  const run = async (op: ProbOp) => {
    const list = items.value.split('\n').map((s) => s.trim()).filter((s) => s.length);
    if (!list.length) throw new Error('Type at least one item.');
    const r = await api.call('prob_op', { key_b64: keyB64, op, items: list });
    results.replaceChildren(table(['item', 'answer'], r.results.map((x) => [x.item, answerText(info.kind, op, x.value)]), 'prob-answers'));
    drawInfo(r.info);
  };
  const checkLabel = info.kind === 'count_min' ? 'Estimate' : 'Check';
  const addLabel = info.kind === 'count_min' ? 'Count' : 'Add';
  host.replaceChildren(
    figures,
    h('div', { class: 'row add-row' }, items, button(checkLabel, () => run('check'), { 'data-testid': 'prob-check' }), readOnly ? null : button(addLabel, () => run('add'), { 'data-testid': 'prob-add' })),
    results,
  );
}
