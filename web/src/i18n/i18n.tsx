import { type ComponentChildren, createContext } from 'preact';
import { useContext, useMemo } from 'preact/hooks';
import { type Lang, type MessageKey, translate } from './messages.js';

export interface I18n {
  lang: Lang;
  t: (key: MessageKey, params?: Readonly<Record<string, string>>) => string;
  /** A date and time of the API (RFC 3339) as the language writes it, in the browser's time zone. */
  dateTime: (iso: string) => string;
  number: (value: number) => string;
  /** Whether the language writes `value` with its singular ('one') or another plural form. */
  plural: (value: number) => Intl.LDMLPluralRule;
}

export function makeI18n(lang: Lang): I18n {
  const dates = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' });
  const numbers = new Intl.NumberFormat(lang);
  const plurals = new Intl.PluralRules(lang);
  return {
    lang,
    t: (key, params) => translate(lang, key, params),
    dateTime: (iso) => {
      const date = new Date(iso);
      return Number.isNaN(date.getTime()) ? iso : dates.format(date);
    },
    number: (value) => numbers.format(value),
    plural: (value) => plurals.select(value),
  };
}

const Context = createContext<I18n>(makeI18n('en'));

export function I18nProvider({ lang, children }: { lang: Lang; children: ComponentChildren }) {
  const value = useMemo(() => makeI18n(lang), [lang]);
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

export function useI18n(): I18n {
  return useContext(Context);
}
