// Keyboard shortcuts: `/` focuses the page's search box, `r` refreshes, `g` then a letter switches
// page (`g d`, `g k`…), `t` toggles the theme, `?` lists them. Ignored while typing in a field.

export interface Shortcut {
  keys: string; // as shown to the user, e.g. "Alt+K"
  description: string;
}

/** Describes a key event as "Alt+k", "/", "Shift+?"… for matching. */
export function describeKey(e: Pick<KeyboardEvent, 'key' | 'altKey' | 'ctrlKey' | 'metaKey'>): string {
  const parts: string[] = [];
  if (e.ctrlKey) parts.push('Ctrl');
  if (e.metaKey) parts.push('Meta');
  if (e.altKey) parts.push('Alt');
  parts.push(e.key.length === 1 ? e.key.toLowerCase() : e.key);
  return parts.join('+');
}

/** True when the event comes from a place where keys are text (inputs, editors). */
export function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || !el.tagName) return false;
  return el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable;
}

export class Shortcuts {
  private handlers = new Map<string, { description: string; run: () => void }>();
  private pending = '';
  private pendingAt = 0;

  constructor(target: Document = document) {
    target.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && isTyping(e.target)) {
        (e.target as HTMLElement).blur();
        return;
      }
      if (isTyping(e.target)) return;
      if (['Shift', 'Control', 'Alt', 'Meta'].includes(e.key)) return;
      const key = describeKey(e);
      const now = Date.now();
      const seq = this.pending && now - this.pendingAt < 1500 ? `${this.pending} ${key}` : '';
      this.pending = '';
      const h = (seq && this.handlers.get(seq)) || this.handlers.get(key);
      if (h) {
        e.preventDefault();
        h.run();
      } else if ([...this.handlers.keys()].some((k) => k.startsWith(`${key} `))) {
        this.pending = key;
        this.pendingAt = now;
        e.preventDefault();
      }
    });
  }

  /** Binds a key ("Alt+k", "/", "r") or a two-key sequence ("g k"). */
  bind(key: string, description: string, run: () => void): void {
    this.handlers.set(key, { description, run });
  }

  /** The bound shortcuts, for the help overlay. */
  list(): Shortcut[] {
    return [...this.handlers].map(([keys, h]) => ({ keys, description: h.description }));
  }
}
