import { localize, type Locale, type LocalizedText } from '../../platform/localized.js';

/** A reward as sentences name it. */
export interface PhrasedReward {
  pointsCost: number;
  phrase: { one: LocalizedText; other: LocalizedText };
}

/**
 * What `points` buy, most expensive rewards first (a car wash, then coffees with what is left):
 * the reward and how many of it. Empty when they buy nothing.
 */
export function whatPointsBuy<R extends PhrasedReward>(points: number, rewards: readonly R[]): Array<{ reward: R; count: number }> {
  const basket: Array<{ reward: R; count: number }> = [];
  let left = points;
  for (const reward of [...rewards].filter((r) => r.pointsCost > 0).sort((a, b) => b.pointsCost - a.pointsCost)) {
    const count = Math.floor(left / reward.pointsCost);
    if (count === 0) continue;
    basket.push({ reward, count });
    left -= count * reward.pointsCost;
  }
  return basket;
}

const AND: Record<Locale, { pair: string; last: string; comma: string }> = {
  en: { pair: ' and ', last: ' and ', comma: ', ' },
  'zh-CN': { pair: ' 和 ', last: ' 和 ', comma: '、' },
};

/** "a car wash at SparkWash and 2 coffees at BrewBar" (en), "1 次闪亮洗车和 2 杯醇吧咖啡" (zh-CN). */
export function phraseBasket(basket: ReadonlyArray<{ reward: PhrasedReward; count: number }>, locale: Locale): string {
  const parts = basket.map(({ reward, count }) => localize(count === 1 ? reward.phrase.one : reward.phrase.other, locale).replace('{n}', count.toLocaleString(locale)));
  const words = AND[locale] ?? AND.en;
  if (parts.length <= 1) return parts[0] ?? '';
  if (parts.length === 2) return parts.join(words.pair);
  return `${parts.slice(0, -1).join(words.comma)}${words.last}${parts.at(-1)}`;
}

/** "1 Aug" (en), "8月1日" (zh-CN): a day in the program time zone. */
export function shortDate(instant: Date, locale: Locale, timeZone: string): string {
  return new Intl.DateTimeFormat(locale === 'zh-CN' ? 'zh-CN' : 'en-GB', { day: 'numeric', month: 'short', timeZone }).format(instant);
}
