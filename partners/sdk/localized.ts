/** Text shown to members, in every supported locale. */
export interface LocalizedText {
  en: string;
  'zh-CN': string;
}

export const SUPPORTED_LOCALES = ['en', 'zh-CN'] as const;
export type Locale = (typeof SUPPORTED_LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';

/**
 * Picks the best supported locale for an `Accept-Language` header, honouring q-values;
 * `zh`, `zh-Hans` and `zh-SG` all map to `zh-CN`. Falls back to English.
 */
export function negotiateLocale(acceptLanguage: string | null | undefined): Locale {
  if (!acceptLanguage) return DEFAULT_LOCALE;
  const ranges = acceptLanguage
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      const quality = q ? Number(q.slice(2)) : 1;
      return { tag: tag.toLowerCase(), quality: Number.isFinite(quality) ? quality : 0, index };
    })
    .filter((r) => r.tag && r.quality > 0)
    .sort((a, b) => b.quality - a.quality || a.index - b.index);
  for (const { tag } of ranges) {
    if (tag === 'zh' || tag.startsWith('zh-')) return 'zh-CN';
    if (tag === 'en' || tag.startsWith('en-')) return 'en';
    if (tag === '*') return DEFAULT_LOCALE;
  }
  return DEFAULT_LOCALE;
}

/** The text in `locale`, or the English one when that translation is missing. */
export function localize(text: LocalizedText, locale: Locale): string {
  return text[locale] || text[DEFAULT_LOCALE];
}
