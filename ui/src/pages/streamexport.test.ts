import { describe, expect, it } from 'vitest';
import { rangeFileName } from './streamexport';
import { summary } from './transfer';
import type { TransferJob } from '../api.gen';
import { formatBytes } from '../format';

describe('stream range export', () => {
  it('names the file after the key, with only the characters the export directory takes', () => {
    expect(rangeFileName('market:orders', 'csv')).toBe('market_orders-range.csv');
    expect(rangeFileName('..\\xff/../x', 'jsonl')).toBe('_xff_.._x-range.jsonl');
    expect(rangeFileName('', 'jsonl')).toBe('stream-range.jsonl');
  });

  it('sums up a finished export in entries, with the stream and its bounds', () => {
    const job = { kind: 'export', file: 'o.csv', entries: 1234, done_bytes: 2048, keys: 0, stream: { key: { text: 'orders', b64: 'b3JkZXJz' }, start: '-', end: '5-0', count: 2000 } } as unknown as TransferJob;
    expect(summary(job)).toBe(`Exported 1,234 entries of orders (- … 5-0, at most 2,000) to o.csv (${formatBytes(2048)}).`);
  });
});
