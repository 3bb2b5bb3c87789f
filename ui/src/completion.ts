// Console completion: which commands match what was typed (the command name, or a container
// and the start of its subcommand), the best one's syntax line, and searching the history.

import type { CommandDoc } from './api.gen';

/** Commands whose name starts with the typed words (case-insensitive), best first: an exact
 *  name, then subcommands of a typed container, then the rest alphabetically. */
export function matches(docs: CommandDoc[], typed: string, limit = 8): CommandDoc[] {
  const words = typed.trimStart().toUpperCase().split(/\s+/);
  if (!words[0]) return [];
  // Two words may be a container and its subcommand; the first alone names a command.
  const two = words.length >= 2 ? `${words[0]} ${words[1]}` : null;
  const head = words[0];
  const done = words.length > 1; // the first word is complete
  const subs = two === null ? [] : docs.filter((d) => d.name.includes(' ') && d.name.startsWith(two));
  const out = subs.length ? subs : docs.filter((d) => (done ? d.name === head : d.name.startsWith(head) && !d.name.includes(' ')));
  const rank = (d: CommandDoc) => (d.name === head || d.name === two ? 0 : 1);
  return out.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name)).slice(0, limit);
}

/** `typed` completed to `doc`'s name, keeping what follows the name. */
export function complete(typed: string, doc: CommandDoc): string {
  const nameWords = doc.name.split(' ').length;
  const words = typed.trimStart().split(/\s+/);
  const rest = words.slice(nameWords).join(' ');
  return `${doc.name} ${rest}`.replace(/\s+$/, ' ');
}

/** The newest history entry before index `from` containing `needle` (case-insensitive), with
 *  its index; null when none. */
export function searchHistory(items: string[], needle: string, from = items.length): { index: number; line: string } | null {
  const n = needle.toLowerCase();
  for (let i = Math.min(from, items.length) - 1; i >= 0; i--) {
    if (items[i].toLowerCase().includes(n)) return { index: i, line: items[i] };
  }
  return null;
}
