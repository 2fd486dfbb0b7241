import { localize, type Locale, type LocalizedText } from '../../platform/localized.js';
import { localParts } from '../../platform/zoned-time.js';
import { MomentKind } from './moment.entity.js';

/**
 * The keywords of each kind's template, as the provider's template is set up (WeChat: a
 * subscribe-message template with these keywords, in this order, chosen in the mini program's
 * console). A keyword's kind (`thing`, `number`, `date`, `amount`) bounds what it may hold.
 */
export const MOMENT_TEMPLATE_KEYS: Readonly<Record<MomentKind, readonly string[]>> = {
  [MomentKind.JOINED]: ['thing1', 'thing2', 'date3'],
  [MomentKind.TIER_UP]: ['thing1', 'thing2', 'date3'],
  [MomentKind.TIER_DOWN]: ['thing1', 'thing2', 'date3'],
  [MomentKind.POINTS_EARNED]: ['number1', 'number2', 'thing3', 'date4'],
  [MomentKind.POINTS_EXPIRING]: ['number1', 'date2', 'thing3'],
  [MomentKind.BENEFIT_ACTIVATED]: ['thing1', 'thing2', 'date3'],
  [MomentKind.RENEWAL_DUE]: ['thing1', 'amount2', 'date3'],
  [MomentKind.MEMBER_DAY]: ['thing1', 'date2'],
};

/** Longest value per keyword kind, in characters (WeChat's limits); `name` is 10 with Chinese in it, else 20. */
const LIMITS: Readonly<Record<string, number>> = { thing: 20, number: 32, letter: 32, symbol: 5, character_string: 32, phone_number: 17, car_number: 8, phrase: 5 };

/** A moment whose data cannot be rendered (a producer's bug): it is skipped as INVALID_MESSAGE, never sent half-filled. */
export class MomentRenderError extends Error {}

const text = (en: string, zh: string): LocalizedText => ({ en, 'zh-CN': zh });

/**
 * The template fields of one moment in one locale, each within its keyword's limit (longer
 * text is cut with an ellipsis). Dates are days in the program time zone.
 */
export function renderMoment(kind: MomentKind, data: Record<string, unknown>, occurredAt: Date, locale: Locale, timeZone: string): Record<string, string> {
  const say = (value: LocalizedText) => localize(value, locale);
  const name = (key: string, fallback: LocalizedText | string) => {
    const given = localizedIn(data, key);
    return given ? say(given) : typeof fallback === 'string' ? fallback : say(fallback);
  };
  const day = (at: Date) => formatDay(at, locale, timeZone);
  const fields = ((): Record<string, string> => {
    switch (kind) {
      case MomentKind.JOINED:
        return { thing1: name('planName', stringIn(data, 'planCode') ?? text('Coalition membership', '联盟会员')), thing2: say(text('Welcome aboard', '欢迎加入，权益已生效')), date3: day(occurredAt) };
      case MomentKind.TIER_UP:
        return { thing1: name('toName', required(stringIn(data, 'to'), 'to')), thing2: say(text('You moved up a tier', '恭喜您升级')), date3: day(occurredAt) };
      case MomentKind.TIER_DOWN:
        return { thing1: name('toName', required(stringIn(data, 'to'), 'to')), thing2: say(text('Your tier changed', '您的等级已调整')), date3: day(occurredAt) };
      case MomentKind.POINTS_EARNED:
        return {
          number1: formatNumber(required(numberIn(data, 'points'), 'points'), locale),
          number2: formatNumber(required(numberIn(data, 'balance'), 'balance'), locale),
          thing3: name('reason', text('Points earned', '积分到账')),
          date4: day(occurredAt),
        };
      case MomentKind.POINTS_EXPIRING:
        return {
          number1: formatNumber(required(numberIn(data, 'points'), 'points'), locale),
          date2: day(required(dateIn(data, 'expiresAt'), 'expiresAt')),
          thing3: name('buys', text('Use them in time', '请及时使用')),
        };
      case MomentKind.BENEFIT_ACTIVATED:
        return { thing1: name('benefitName', required(stringIn(data, 'benefitCode'), 'benefitCode')), thing2: name('partnerName', text('Ready to use', '可以使用了')), date3: day(occurredAt) };
      case MomentKind.RENEWAL_DUE: {
        const price = data.price as { amount?: unknown; currency?: unknown } | undefined;
        if (typeof price?.amount !== 'number' || typeof price.currency !== 'string') throw new MomentRenderError('data.price must be { amount, currency }');
        return {
          thing1: name('planName', stringIn(data, 'planCode') ?? text('Membership', '会员')),
          amount2: formatMoney(price.amount, price.currency, locale),
          date3: day(required(dateIn(data, 'renewsAt'), 'renewsAt')),
        };
      }
      case MomentKind.MEMBER_DAY:
        return { thing1: say(required(localizedIn(data, 'offer'), 'offer')), date2: day(required(dateIn(data, 'date'), 'date')) };
    }
  })();
  return Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, fit(key, value)]));
}

/** A value cut to its keyword's limit, with an ellipsis. */
export function fit(key: string, value: string): string {
  const kind = key.replace(/\d+$/, '');
  const limit = kind === 'name' ? (/^[\x20-\x7e]*$/.test(value) ? 20 : 10) : LIMITS[kind];
  const chars = [...value];
  return limit !== undefined && chars.length > limit ? `${chars.slice(0, limit - 1).join('')}…` : value;
}

/** A day as members read it: `8 Dec 2026`, `2026年12月8日`. */
export function formatDay(at: Date, locale: Locale, timeZone: string): string {
  if (locale === 'zh-CN') {
    const day = localParts(at, timeZone);
    return `${day.year}年${day.month}月${day.day}日`;
  }
  return new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: 'short', day: 'numeric' }).format(at);
}

function formatNumber(value: number, locale: Locale): string {
  return value.toLocaleString(locale === 'zh-CN' ? 'zh-CN' : 'en', { maximumFractionDigits: 0 });
}

/** Minor units in their currency: `¥198.00`. */
export function formatMoney(minor: number, currency: string, locale: Locale): string {
  const format = new Intl.NumberFormat(locale === 'zh-CN' ? 'zh-CN' : 'en', { style: 'currency', currency, currencyDisplay: 'narrowSymbol' });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(minor / 10 ** digits);
}

function required<T>(value: T | null, key: string): T {
  if (value === null) throw new MomentRenderError(`data.${key} is missing or of the wrong type`);
  return value;
}

function stringIn(data: Record<string, unknown>, key: string): string | null {
  const value = data[key];
  return typeof value === 'string' && value.length > 0 ? value : null;
}

function numberIn(data: Record<string, unknown>, key: string): number | null {
  const value = data[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function dateIn(data: Record<string, unknown>, key: string): Date | null {
  const value = data[key];
  const date = typeof value === 'string' ? new Date(value) : null;
  return date && !Number.isNaN(date.getTime()) ? date : null;
}

function localizedIn(data: Record<string, unknown>, key: string): LocalizedText | null {
  const value = data[key] as Partial<LocalizedText> | undefined;
  return typeof value?.en === 'string' && typeof value['zh-CN'] === 'string' && value.en.length > 0 && value['zh-CN'].length > 0 ? (value as LocalizedText) : null;
}
