// Imported first: a webview started under the C/POSIX locale reports `navigator.language` as
// "C", which Intl rejects (uPlot builds an Intl.NumberFormat from it when it loads, so the
// whole UI would fail to start). Fall back to a valid tag, keeping the user's when it is one.

/** The language tag to use: `lang` when Intl accepts it, else `en-US`. */
export function validLanguage(lang: string | undefined): string {
  if (!lang) return 'en-US';
  try {
    return Intl.NumberFormat.supportedLocalesOf([lang]).length > 0 ? lang : 'en-US';
  } catch {
    return 'en-US';
  }
}

if (typeof navigator !== 'undefined') {
  const lang = validLanguage(navigator.language);
  if (lang !== navigator.language) {
    Object.defineProperty(navigator, 'language', { value: lang, configurable: true });
    Object.defineProperty(navigator, 'languages', { value: [lang], configurable: true });
  }
}
