import { type Catalogue, type MessageKey, en } from './en.js';
import { fr } from './fr.js';

export type { MessageKey };
export const LANGUAGES = ['en', 'fr'] as const;
export type Lang = (typeof LANGUAGES)[number];
export const CATALOGUES: Readonly<Record<Lang, Catalogue>> = { en, fr };
/** Each language's name, in itself (what the language switch shows). */
export const LANGUAGE_NAMES: Readonly<Record<Lang, string>> = { en: 'English', fr: 'Français' };

/** The first of the browser's languages that the console speaks, English otherwise. */
export function pickLanguage(preferred: readonly string[]): Lang {
  for (const tag of preferred) {
    const base = tag.toLowerCase().split('-', 1)[0];
    const found = LANGUAGES.find((lang) => lang === base);
    if (found !== undefined) {
      return found;
    }
  }
  return 'en';
}

/** The message for `key` in `lang`, its `{name}` placeholders replaced by `params` (left as they are when absent). */
export function translate(lang: Lang, key: MessageKey, params: Readonly<Record<string, string>> = {}): string {
  return CATALOGUES[lang][key].replace(/\{(\w+)\}/g, (whole, name: string) => params[name] ?? whole);
}
