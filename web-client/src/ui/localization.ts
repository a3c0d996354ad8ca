// @lit/localize in runtime mode: English is the source; other locales load on demand.
import { configureLocalization } from '@lit/localize';

export const SOURCE_LOCALE = 'en';
export const TARGET_LOCALES = ['de'] as const;
export type Locale = typeof SOURCE_LOCALE | (typeof TARGET_LOCALES)[number];

const { getLocale, setLocale } = configureLocalization({
  sourceLocale: SOURCE_LOCALE,
  targetLocales: TARGET_LOCALES,
  loadLocale: (locale) => {
    if (locale === 'de') return import('../locales/de.ts');
    throw new Error(`no translations for ${locale}`);
  },
});

export { getLocale, setLocale };

/** ?lang= first, then the browser's languages, else English. */
export function preferredLocale(search: string, languages: readonly string[]): Locale {
  const wanted = [new URLSearchParams(search).get('lang') ?? '', ...languages];
  for (const tag of wanted) {
    const base = tag.toLowerCase().split('-')[0];
    if (base === 'en') return 'en';
    if (base === 'de') return 'de';
  }
  return SOURCE_LOCALE;
}
