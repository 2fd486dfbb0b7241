// Localized text members see: the partner SDK's (partners name things in the same locales).
export { DEFAULT_LOCALE, localize, negotiateLocale, SUPPORTED_LOCALES } from '../../partners/sdk/index.js';
export type { Locale, LocalizedText } from '../../partners/sdk/index.js';
