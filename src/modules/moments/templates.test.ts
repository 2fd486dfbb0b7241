import { describe, expect, it } from 'vitest';
import { MomentKind } from './moment.entity.js';
import { fit, formatDay, formatMoney, MOMENT_TEMPLATE_KEYS, MomentRenderError, renderMoment } from './templates.js';

const TZ = 'Asia/Shanghai';
const AT = new Date('2026-12-07T02:00:00Z');

describe('moment templates', () => {
  it('renders a tier upgrade in English and in Chinese with the keys of its template', () => {
    const data = { from: 'MEMBER', to: 'GOLD', toName: { en: 'Gold', 'zh-CN': '金卡' } };
    expect(renderMoment(MomentKind.TIER_UP, data, AT, 'en', TZ)).toEqual({ thing1: 'Gold', thing2: 'You moved up a tier', date3: '7 Dec 2026' });
    expect(renderMoment(MomentKind.TIER_UP, data, AT, 'zh-CN', TZ)).toEqual({ thing1: '金卡', thing2: '恭喜您升级', date3: '2026年12月7日' });
  });

  it('renders every kind with exactly its template keys', () => {
    const data: Record<MomentKind, Record<string, unknown>> = {
      JOINED: { planCode: 'PLUS' },
      TIER_UP: { from: 'MEMBER', to: 'SILVER' },
      TIER_DOWN: { from: 'GOLD', to: 'SILVER' },
      POINTS_EARNED: { points: 120, balance: 1_320 },
      POINTS_EXPIRING: { points: 800, expiresAt: '2027-01-01T00:00:00+08:00', buys: { en: 'A wash at SparkWash', 'zh-CN': 'SparkWash 洗车 1 次' } },
      BENEFIT_ACTIVATED: { benefitCode: 'STREAMING_VIP' },
      RENEWAL_DUE: { renewsAt: '2027-01-10T02:00:00Z', price: { amount: 19_800, currency: 'CNY' } },
      MEMBER_DAY: { date: '2026-12-18T00:00:00+08:00', offer: { en: 'Double points today', 'zh-CN': '今日双倍积分' } },
    };
    for (const kind of Object.values(MomentKind)) {
      for (const locale of ['en', 'zh-CN'] as const) {
        const fields = renderMoment(kind, data[kind], AT, locale, TZ);
        expect(Object.keys(fields), `${kind} ${locale}`).toEqual(MOMENT_TEMPLATE_KEYS[kind]);
        for (const value of Object.values(fields)) expect(value.length, `${kind} ${locale}`).toBeGreaterThan(0);
      }
    }
  });

  it('states points and the expiry day, and what they buy', () => {
    const data = { points: 1_600, expiresAt: '2027-01-01T00:00:00+08:00', buys: { en: '2 washes', 'zh-CN': '洗车 2 次' } };
    expect(renderMoment(MomentKind.POINTS_EXPIRING, data, AT, 'en', TZ)).toEqual({ number1: '1,600', date2: '1 Jan 2027', thing3: '2 washes' });
    expect(renderMoment(MomentKind.POINTS_EXPIRING, data, AT, 'zh-CN', TZ)).toEqual({ number1: '1,600', date2: '2027年1月1日', thing3: '洗车 2 次' });
  });

  it('cuts a thing to 20 characters with an ellipsis', () => {
    expect(fit('thing3', 'Enough for 2 coffees at BrewBar and a wash')).toBe('Enough for 2 coffee…');
    expect([...fit('thing3', 'Enough for 2 coffees at BrewBar and a wash')]).toHaveLength(20);
    expect(fit('number1', '1,600')).toBe('1,600');
    expect(fit('date2', 'a very long date text that has no limit')).toBe('a very long date text that has no limit');
  });

  it('refuses to render a moment missing its figures (a producer bug), rather than send it half-filled', () => {
    expect(() => renderMoment(MomentKind.POINTS_EARNED, { points: 10 }, AT, 'en', TZ)).toThrow(MomentRenderError);
    expect(() => renderMoment(MomentKind.RENEWAL_DUE, { renewsAt: '2027-01-10T02:00:00Z' }, AT, 'en', TZ)).toThrow(MomentRenderError);
  });

  it('formats money and days in the program time zone', () => {
    expect(formatMoney(19_800, 'CNY', 'zh-CN')).toBe('¥198.00');
    expect(formatMoney(19_800, 'CNY', 'en')).toBe('¥198.00');
    // 23:30 UTC on 7 Dec is already 8 Dec in Shanghai.
    expect(formatDay(new Date('2026-12-07T23:30:00Z'), 'en', TZ)).toBe('8 Dec 2026');
  });
});
