import { describe, expect, it } from 'vitest';
import { validLanguage } from './locale';

describe('validLanguage', () => {
  it('keeps a tag Intl accepts', () => {
    expect(validLanguage('de-DE')).toBe('de-DE');
    expect(validLanguage('en-US')).toBe('en-US');
  });
  it('replaces what the C/POSIX locale reports, and nothing, by en-US', () => {
    expect(validLanguage('C')).toBe('en-US');
    expect(validLanguage('POSIX')).toBe('en-US');
    expect(validLanguage('')).toBe('en-US');
    expect(validLanguage(undefined)).toBe('en-US');
  });
});
