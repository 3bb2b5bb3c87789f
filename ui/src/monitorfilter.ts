// The MONITOR view's filter, as the service applies it to its buffer (command_monitor.rs): live
// lines arriving as events are filtered the same way before they are drawn.

import type { MonitorFilter, MonitorLine } from './api.gen';

const given = (s: string | undefined): string | null => {
  const t = (s ?? '').trim();
  return t ? t : null;
};

/** True when `line` passes every given part: one of the command names (any case, separated by
 * spaces or commas), a key containing the text, a client address containing the text. */
export function lineMatches(f: MonitorFilter, line: MonitorLine): boolean {
  const cmd = given(f.command);
  if (cmd && !cmd.split(/[\s,]+/).filter(Boolean).some((n) => n.toUpperCase() === line.command.toUpperCase())) return false;
  const key = given(f.key);
  if (key && !(line.key ?? '').includes(key)) return false;
  const client = given(f.client);
  if (client && !line.client.includes(client)) return false;
  return true;
}
