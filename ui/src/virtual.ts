// A virtualized list: only the rows in view (plus a little overscan) exist in the DOM, so a
// million-row list scrolls as smoothly as a ten-row one. Row nodes are recycled, never recreated.

import { h } from './dom';

/** Which rows to draw for a scroll position. */
export interface Window {
  start: number;
  end: number; // exclusive
  offset: number; // px from the top of the content to the first drawn row
}

/** Rows [start, end) visible in a viewport, with `overscan` extra rows on each side. */
export function visibleWindow(scrollTop: number, viewport: number, rowHeight: number, total: number, overscan = 8): Window {
  if (total <= 0 || rowHeight <= 0) return { start: 0, end: 0, offset: 0 };
  const first = Math.max(0, Math.floor(scrollTop / rowHeight));
  const start = Math.max(0, Math.min(total - 1, first) - overscan);
  const count = Math.ceil(Math.max(viewport, 0) / rowHeight) + 1;
  const end = Math.min(total, first + count + overscan);
  return { start, end, offset: start * rowHeight };
}

export interface VirtualListOptions<T> {
  rowHeight: number;
  /** Fills a recycled row element with the item at `index`. */
  render(row: HTMLElement, item: T, index: number): void;
  /** Called when the rows near the end come into view (load the next page). */
  onNearEnd?(): void;
  className?: string;
}

export class VirtualList<T> {
  readonly el: HTMLElement;
  private spacer: HTMLElement;
  private body: HTMLElement;
  private items: readonly T[] = [];
  private pool: HTMLElement[] = [];
  private frame = 0;

  constructor(private opts: VirtualListOptions<T>) {
    this.body = h('div', { class: 'vlist-body' });
    this.spacer = h('div', { class: 'vlist-spacer' }, this.body);
    this.el = h('div', { class: `vlist ${opts.className ?? ''}`, tabindex: 0 }, this.spacer);
    this.el.addEventListener('scroll', () => this.schedule(), { passive: true });
  }

  /** Replaces the items (keeps the scroll position). */
  setItems(items: readonly T[]): void {
    this.items = items;
    this.spacer.style.height = `${items.length * this.opts.rowHeight}px`;
    this.draw();
  }

  /** Scrolls so that `index` is visible. */
  scrollTo(index: number): void {
    const top = index * this.opts.rowHeight;
    if (top < this.el.scrollTop || top + this.opts.rowHeight > this.el.scrollTop + this.el.clientHeight) {
      this.el.scrollTop = Math.max(0, top - this.el.clientHeight / 2);
    }
    this.draw();
  }

  /** Applies `fn` to each row in view with its item (a new selection's highlight), without
   * drawing the rows again or reading the layout. */
  restyle(fn: (row: HTMLElement, item: T) => void): void {
    for (const row of this.pool.slice(0, this.body.childElementCount)) {
      const item = this.items[Number(row.dataset.index)];
      if (item !== undefined) fn(row, item);
    }
  }

  /** Number of row elements currently in the DOM (for tests and diagnostics). */
  get drawnRows(): number {
    return this.body.childElementCount;
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  private draw(): void {
    const { rowHeight } = this.opts;
    const w = visibleWindow(this.el.scrollTop, this.el.clientHeight || 600, rowHeight, this.items.length);
    const n = w.end - w.start;
    while (this.pool.length < n) {
      const row = h('div', { class: 'vlist-row' });
      row.style.height = `${rowHeight}px`;
      this.pool.push(row);
    }
    const rows = this.pool.slice(0, n);
    rows.forEach((row, i) => {
      const index = w.start + i;
      row.dataset.index = String(index);
      this.opts.render(row, this.items[index], index);
    });
    this.body.style.transform = `translateY(${w.offset}px)`;
    if (this.body.childElementCount !== n || rows.some((r, i) => this.body.children[i] !== r)) {
      this.body.replaceChildren(...rows);
    }
    if (this.opts.onNearEnd && w.end >= this.items.length - 20) this.opts.onNearEnd();
  }
}
