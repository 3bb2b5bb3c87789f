// Binary-safe keys: the API carries keys as base64; the UI shows them with non-printable bytes
// escaped (\xNN) and turns what the user types back into bytes.

/** base64 -> bytes. */
export function fromBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** bytes -> base64. */
export function toBase64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** Shows bytes as text: valid UTF-8 stays readable, anything else becomes \xNN; backslash is doubled. */
export function escapeBytes(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    const len = b < 0x80 ? 1 : b >> 5 === 0b110 ? 2 : b >> 4 === 0b1110 ? 3 : b >> 3 === 0b11110 ? 4 : 0;
    if (len === 1) {
      if (b === 0x5c) out += '\\\\';
      else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
      else out += `\\x${b.toString(16).padStart(2, '0')}`;
      i++;
      continue;
    }
    if (len > 1 && i + len <= bytes.length) {
      const chunk = bytes.subarray(i, i + len);
      let ok = true;
      for (let j = 1; j < len; j++) if (chunk[j] >> 6 !== 0b10) ok = false;
      if (ok) {
        try {
          out += new TextDecoder('utf-8', { fatal: true }).decode(chunk);
          i += len;
          continue;
        } catch {
          /* fall through to \x escapes */
        }
      }
    }
    out += `\\x${b.toString(16).padStart(2, '0')}`;
    i++;
  }
  return out;
}

/** The inverse of escapeBytes: `\xNN` and `\\` are decoded, everything else is UTF-8. */
export function unescapeBytes(text: string): Uint8Array {
  const out: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && text[i + 1] === '\\') {
      out.push(0x5c);
      i++;
    } else if (c === '\\' && text[i + 1] === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 2, i + 4))) {
      out.push(parseInt(text.slice(i + 2, i + 4), 16));
      i += 3;
    } else {
      const cp = text.codePointAt(i)!;
      const s = String.fromCodePoint(cp);
      out.push(...enc.encode(s));
      i += s.length - 1;
    }
  }
  return new Uint8Array(out);
}

/** A key given as base64 for display. */
export function displayKey(b64: string): string {
  return escapeBytes(fromBase64(b64));
}
