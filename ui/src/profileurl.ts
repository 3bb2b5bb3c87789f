// Splitting a pasted connection URL into the dialog's fields: the user name and password leave
// the URL (profiles store URLs in plain text; the password goes to the keyring on save).

/** What a pasted `redis://` / `rediss://` / `redis+cluster://` / `redis+sentinel://` / `unix://` URL fills in. */
export interface PastedUrl {
  /** The URL without user name and password. */
  url: string;
  username?: string;
  password?: string;
  /** A name suggestion: the host (or socket file). */
  name: string;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Parses a pasted URL; throws an Error with a readable message when it is not one. */
export function parsePastedUrl(text: string): PastedUrl {
  const raw = text.trim();
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(raw);
  if (!m) throw new Error('Paste a URL such as redis://user:password@host:6379/0');
  const scheme = m[1].toLowerCase();
  if (!/^(redis|rediss|valkey|valkeys|unix)(\+cluster|\+sentinel)?$/.test(scheme)) {
    throw new Error(`Unsupported scheme "${scheme}://" (use redis://, rediss://, unix://, redis+cluster:// or redis+sentinel://)`);
  }
  const rest = m[2];
  const end = scheme === 'unix' ? rest.search(/[?#]/) : rest.search(/[/?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  const tail = end < 0 ? '' : rest.slice(end);
  const at = authority.lastIndexOf('@');
  let username: string | undefined;
  let password: string | undefined;
  let hosts = authority;
  if (at >= 0) {
    const info = authority.slice(0, at);
    hosts = authority.slice(at + 1);
    const colon = info.indexOf(':');
    const user = decode(colon < 0 ? info : info.slice(0, colon));
    const pass = colon < 0 ? '' : decode(info.slice(colon + 1));
    if (user) username = user;
    if (pass) password = pass;
  }
  if (!hosts && scheme !== 'unix') throw new Error('The URL names no host');
  const first = scheme === 'unix' ? (tail.split(/[?#]/)[0] || hosts).split('/').pop() || 'socket' : hosts.split(',')[0].replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return { url: `${scheme}://${hosts}${tail}`, username, password, name: first };
}
