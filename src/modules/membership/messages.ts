import type { LocalizedText } from '../../platform/localized.js';
import { formatMoney, type MoneyAmount as Money } from '../../platform/money.js';

export { formatMoney };

/** The local calendar date of an instant, `2027-03-14`. */
function localDate(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(iso));
}

interface Message {
  title: LocalizedText;
  body: LocalizedText;
}

/** What the lifecycle tells members, in every supported locale. */
export const lifecycleMessages = {
  renewalReminder(
    figures: { planCode: string; price: Money; renewsAt: string; savedThisPeriod: Money | null; trial: boolean },
    timeZone: string,
  ): Message {
    const price = formatMoney(figures.price);
    const date = localDate(figures.renewsAt, timeZone);
    const saved = figures.savedThisPeriod && figures.savedThisPeriod.amount > 0 ? formatMoney(figures.savedThisPeriod) : null;
    if (figures.trial) {
      return {
        title: { en: 'Your free trial ends soon', 'zh-CN': '您的免费试用即将结束' },
        body: {
          en: `Your trial becomes a paid ${figures.planCode} membership on ${date}: ${price} will be charged.${saved ? ` So far it gave you ${saved} in benefits.` : ''}`,
          'zh-CN': `您的试用将于 ${date} 转为 ${figures.planCode} 付费会员，届时扣款 ${price}。${saved ? `试用期间您已享受价值 ${saved} 的权益。` : ''}`,
        },
      };
    }
    return {
      title: { en: 'Your membership renews soon', 'zh-CN': '您的会员即将自动续费' },
      body: {
        en: `Your ${figures.planCode} membership renews on ${date} for ${price}.${saved ? ` This period it gave you ${saved} in benefits.` : ''}`,
        'zh-CN': `您的 ${figures.planCode} 会员将于 ${date} 自动续费 ${price}。${saved ? `本期您已享受价值 ${saved} 的权益。` : ''}`,
      },
    };
  },

  pastDue(figures: { price: Money; graceEndsAt: string; rightsSuspended: boolean }, timeZone: string): Message {
    const price = formatMoney(figures.price);
    const date = localDate(figures.graceEndsAt, timeZone);
    return {
      title: { en: 'Your renewal payment failed', 'zh-CN': '会员续费扣款失败' },
      body: {
        en: `We could not charge ${price} for your renewal. Pay by ${date} to keep your membership${figures.rightsSuspended ? '; your benefits are paused until then' : ''}.`,
        'zh-CN': `续费 ${price} 扣款失败。请在 ${date} 前完成支付以保留会员${figures.rightsSuspended ? '，支付前权益暂停使用' : ''}。`,
      },
    };
  },

  receipt(figures: { planCode: string; price: Money; periodStart: string | null; periodEnd: string | null; kind: string }, timeZone: string): Message {
    const price = formatMoney(figures.price);
    const period = figures.periodStart && figures.periodEnd ? `${localDate(figures.periodStart, timeZone)} – ${localDate(figures.periodEnd, timeZone)}` : null;
    return {
      title: { en: 'Payment received', 'zh-CN': '支付成功' },
      body: {
        en: `We received ${price} for your ${figures.planCode} membership${period ? ` (${period})` : ''}. Thank you!`,
        'zh-CN': `已收到 ${figures.planCode} 会员费用 ${price}${period ? `（${period}）` : ''}，感谢您的支持！`,
      },
    };
  },

  ended(): Message {
    return {
      title: { en: 'Your membership has ended', 'zh-CN': '您的会员已到期' },
      body: { en: 'Your membership period is over. You can join again at any time.', 'zh-CN': '您的会员期已结束，欢迎随时再次开通。' },
    };
  },

  endedUnpaid(): Message {
    return {
      title: { en: 'Your membership has ended', 'zh-CN': '您的会员已终止' },
      body: {
        en: 'Your renewal stayed unpaid through the grace period, so your membership and its benefits have ended.',
        'zh-CN': '宽限期内续费未完成，您的会员及其权益已终止。',
      },
    };
  },
};
