// TTLs as Redis reports them (-1 no expiry, -2 gone) turned into a live countdown.

/** Milliseconds left -> "2d 3h", "4m 05s", "12.3s", "no expiry", "expired". */
export function formatTtl(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '—';
  if (ms === -1) return 'no expiry';
  if (ms <= 0) return 'expired';
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(r).padStart(2, '0')}s`;
  return `${r}s`;
}

/** The remaining TTL now, for a TTL of `ttlMs` read at `readAt` (ms since epoch). */
export function remainingTtl(ttlMs: number, readAt: number, now: number): number {
  if (ttlMs < 0) return ttlMs;
  return Math.max(0, ttlMs - (now - readAt));
}

/** Parses "90", "90s", "5m", "2h", "1d", "500ms" into milliseconds; null when malformed. */
export function parseTtl(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(text);
  if (!m) return null;
  const n = parseFloat(m[1]);
  const unit = (m[2] ?? 's').toLowerCase();
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit]!;
  const ms = Math.round(n * factor);
  return ms > 0 ? ms : null;
}
