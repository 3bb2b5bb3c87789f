// Hash-based routing between pages (`#/keys`, `#/channels?c=…`): works the same from a file in
// Tauri and from `redscope serve`, with no server-side routes.

/** What a page gets when it is shown. */
export interface PageContext {
  /** Query parameters after the page name in the hash. */
  params: URLSearchParams;
}

/** A page: mounted into the content area, unmounted (stopping its timers and streams) on leave. */
export interface Page {
  id: string;
  title: string;
  /** Single key that jumps to the page (with Alt). */
  shortcut?: string;
  mount(el: HTMLElement, ctx: PageContext): void | Promise<void>;
  unmount?(): void;
  /** Reloads the page's data (the global refresh shortcut). */
  refresh?(): void;
}

/** Splits `#/keys?prefix=a:` into the page id and its parameters. */
export function parseHash(hash: string): { id: string; params: URLSearchParams } {
  const raw = hash.replace(/^#\/?/, '');
  const q = raw.indexOf('?');
  const id = (q >= 0 ? raw.slice(0, q) : raw) || '';
  return { id, params: new URLSearchParams(q >= 0 ? raw.slice(q + 1) : '') };
}

/** The hash for a page and parameters. */
export function pageHash(id: string, params?: Record<string, string>): string {
  const q = params ? new URLSearchParams(params).toString() : '';
  return `#/${id}${q ? `?${q}` : ''}`;
}

export class Router {
  private current: Page | null = null;

  constructor(
    private pages: Page[],
    private outlet: HTMLElement,
    private onChange: (page: Page) => void,
  ) {
    window.addEventListener('hashchange', () => this.show());
  }

  /** Shows the page named by the current hash (the first page when none matches). */
  show(): void {
    const { id, params } = parseHash(window.location.hash);
    const page = this.pages.find((p) => p.id === id) ?? this.pages[0];
    if (this.current && this.current !== page) this.current.unmount?.();
    this.current = page;
    this.outlet.replaceChildren();
    this.outlet.dataset.page = page.id;
    this.onChange(page);
    void page.mount(this.outlet, { params });
  }

  go(id: string, params?: Record<string, string>): void {
    window.location.hash = pageHash(id, params);
  }

  refresh(): void {
    this.current?.refresh?.();
  }

  get page(): Page | null {
    return this.current;
  }
}
