// The console's message catalogues: every key in both, and every key used by the code, and no other.
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { en } from '../../web/src/i18n/en.js';
import { CATALOGUES, LANGUAGES, pickLanguage, translate } from '../../web/src/i18n/messages.js';

const WEB_SRC = fileURLToPath(new URL('../../web/src', import.meta.url));
const I18N = join(WEB_SRC, 'i18n');

/** The console's code, catalogues left out: where the keys must be used. */
const code = readdirSync(WEB_SRC, { recursive: true, encoding: 'utf8' })
  .filter((file) => /\.tsx?$/.test(file) && !file.endsWith('.d.ts'))
  .map((file) => join(WEB_SRC, file))
  .filter((file) => !file.startsWith(`${I18N}/`) || file.endsWith('.tsx'))
  .map((file) => ({ file: relative(WEB_SRC, file), text: readFileSync(file, 'utf8') }));

/** Every string literal of the code that looks like a message key (`section.name`). */
const literals = new Set(
  code.flatMap(({ text }) => [...text.matchAll(/'([a-z][A-Za-z]*\.[A-Za-z_]+)'/g)].map((m) => m[1])),
);

describe('the message catalogues', () => {
  const reference = Object.keys(en).sort();

  it.each(LANGUAGES)('%s has every key of the English catalogue, and no other', (lang) => {
    expect(Object.keys(CATALOGUES[lang]).sort()).toStrictEqual(reference);
  });

  it.each(LANGUAGES)('%s has a message for every key', (lang) => {
    const empty = Object.entries(CATALOGUES[lang]).filter(([, message]) => message.trim() === '');
    expect(empty).toStrictEqual([]);
  });

  it('has every key used somewhere in the code', () => {
    expect(code.length).toBeGreaterThan(5);
    expect(reference.filter((key) => !literals.has(key))).toStrictEqual([]);
  });

  it('has every key that the code asks for', () => {
    const asked = code.flatMap(({ file, text }) =>
      [...text.matchAll(/\bt\(\s*'([^']+)'/g)].map((m) => ({ file, key: m[1] ?? '' })),
    );
    expect(asked.length).toBeGreaterThan(10);
    expect(asked.filter(({ key }) => !(key in en))).toStrictEqual([]);
  });

  it.each(LANGUAGES)('%s keeps the placeholders of the English messages', (lang) => {
    const placeholders = (message: string) => [...message.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of reference) {
      const k = key as keyof typeof en;
      expect([key, placeholders(CATALOGUES[lang][k])]).toStrictEqual([key, placeholders(en[k])]);
    }
  });
});

describe('choosing and using a language', () => {
  it("takes the first of the browser's languages that the console speaks", () => {
    expect(pickLanguage(['fr-FR', 'en-US'])).toBe('fr');
    expect(pickLanguage(['de-DE', 'FR'])).toBe('fr');
    expect(pickLanguage(['en-GB', 'fr'])).toBe('en');
  });

  it('falls back to English', () => {
    expect(pickLanguage(['de', 'ja'])).toBe('en');
    expect(pickLanguage([])).toBe('en');
  });

  it('fills the placeholders, and leaves one without a value as it is', () => {
    expect(translate('fr', 'auth.signedIn', { name: 'bootstrap', scope: 'administration' })).toBe(
      'Connecté en tant que bootstrap (administration)',
    );
    expect(translate('en', 'servers.countOther')).toBe('{count} servers');
  });
});
