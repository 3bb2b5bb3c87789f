// Dark and light themes: follows the system until the user picks one, then remembers it.

export type Theme = 'dark' | 'light';

const KEY = 'redscope.theme';

/** The theme in effect: the stored choice, else the system's preference. */
export function currentTheme(storage: Storage = localStorage, prefersLight = matchMedia('(prefers-color-scheme: light)').matches): Theme {
  const stored = storage.getItem(KEY);
  if (stored === 'dark' || stored === 'light') return stored;
  return prefersLight ? 'light' : 'dark';
}

/** Applies a theme to the document and stores it. */
export function applyTheme(theme: Theme, storage: Storage = localStorage): void {
  document.documentElement.dataset.theme = theme;
  storage.setItem(KEY, theme);
}

/** Switches between dark and light. */
export function toggleTheme(): Theme {
  const next: Theme = currentTheme() === 'dark' ? 'light' : 'dark';
  applyTheme(next);
  return next;
}
