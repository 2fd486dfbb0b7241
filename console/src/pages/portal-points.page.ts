// The partner portal's earn and burn: the coalition points the partner's tills issued to members
// and the points members burned there, month by month, with what each side owes for them. The
// server lists no partner's individual points transactions yet, so these are partnerSettlement's
// `points` figures, one calendar month at a time.
import type { Page } from '../pages.js';
import { request } from '../api.js';
import { h, show } from '../dom.js';
import { ConsolePortalPointsMonthDocument, type ConsolePortalPointsFragment } from '@coalition-gateway/client';
import { formatMoney, language, messages, t } from '../i18n.js';
import { table } from '../ui.js';
import { dayOf, endOf, forPartners, showFailure, startOf, timeZoneNote } from './portal.js';

const m = messages({
  en: {
    nav: 'Earn and burn',
    title: 'Points earned and burned at your tills',
    intro: 'Points your tills issued to members (net of what refunds of your orders took back), which you buy at your issue price, and points members burned at your tills, which we pay you for at your burn price. Per calendar month; the month to date comes first.',
    months: 'Months shown',
    apply: 'Show',
    'col.month': 'Month',
    'col.issued': 'Points issued',
    'col.issuedAmount': 'You pay for them',
    'col.burned': 'Points burned',
    'col.burnedAmount': 'We pay you',
    total: 'Total',
    noPrice: 'no price agreed',
    prices: 'Prices agreed: issue {issue}, burn {burn} per 1,000 points.',
  },
  'zh-CN': {
    nav: '积分发放与消耗',
    title: '您门店发放与消耗的积分',
    intro: '您门店发放给会员的积分（已扣除订单退款收回的部分），按发放价向我们购买；会员在您门店消耗的积分，我们按消耗价向您支付。按自然月统计，本月至今排在最前。',
    months: '显示月数',
    apply: '显示',
    'col.month': '月份',
    'col.issued': '发放积分',
    'col.issuedAmount': '您需支付',
    'col.burned': '消耗积分',
    'col.burnedAmount': '我们支付给您',
    total: '合计',
    noPrice: '未约定价格',
    prices: '约定价格：发放价 {issue}，消耗价 {burn}（每 1,000 积分）。',
  },
});

type Points = ConsolePortalPointsFragment;
type Money = { amount: number; currency: string } | null;

async function pointsPage(main: HTMLElement): Promise<void> {
  const months = h('select', { id: 'portal-months', name: 'months' }, [3, 6, 12].map((n) => h('option', { value: n, selected: n === 6 }, String(n))));
  const results = h('div', { class: 'portal-results', 'aria-live': 'polite' });
  show(
    main,
    h('h1', {}, m('title')),
    h('p', {}, m('intro')),
    timeZoneNote(),
    h(
      'form',
      { class: 'inline', onsubmit: (event: Event) => (event.preventDefault(), void draw(main, results, Number(months.value), true)) },
      h('div', { class: 'field' }, h('label', { for: 'portal-months' }, m('months')), months),
      h('button', { type: 'submit' }, m('apply')),
    ),
    results,
  );
  await draw(main, results, 6, false);
}

async function draw(main: HTMLElement, results: HTMLElement, count: number, focus: boolean): Promise<void> {
  show(results, h('p', {}, t('common.loading')));
  const today = new Date();
  // This month to date, then the whole months before it.
  const periods = [...Array(count).keys()].map((back) => {
    const first = new Date(today.getFullYear(), today.getMonth() - back, 1);
    const last = back === 0 ? today : new Date(today.getFullYear(), today.getMonth() - back + 1, 0);
    return { first, from: startOf(dayOf(first)), to: endOf(dayOf(last)) };
  });
  try {
    const answers = await Promise.all(periods.map((p) => request(ConsolePortalPointsMonthDocument, { from: p.from, to: p.to })));
    const rows = answers.map((a, i) => ({ month: periods[i]!.first, points: a.partnerSettlement.points }));
    const monthName = (d: Date) => new Intl.DateTimeFormat(language(), { year: 'numeric', month: 'long' }).format(d);
    const money = (value: Money) => (value ? formatMoney(value.amount, value.currency) : '—');
    const sum = (pick: (p: Points) => Money): Money => {
      const present = rows.map((r) => pick(r.points)).filter((v): v is NonNullable<Money> => v !== null);
      return present.length ? { amount: present.reduce((s, v) => s + v.amount, 0), currency: present[0]!.currency } : null;
    };
    const latest = rows[0]!.points;
    const price = (value: Money) => (value ? formatMoney(value.amount, value.currency) : m('noPrice'));
    const summary = h('p', { tabindex: -1 }, m('prices', { issue: price(latest.issuePricePer1000), burn: price(latest.burnPricePer1000) }));
    show(
      results,
      summary,
      table(
        [m('col.month'), m('col.issued'), m('col.issuedAmount'), m('col.burned'), m('col.burnedAmount')],
        [
          ...rows.map((r) => [monthName(r.month), r.points.issued.toLocaleString(language()), money(r.points.issuedAmount), r.points.burned.toLocaleString(language()), money(r.points.burnedAmount)]),
          [
            h('strong', {}, m('total')),
            h('strong', {}, rows.reduce((s, r) => s + r.points.issued, 0).toLocaleString(language())),
            h('strong', {}, money(sum((p) => p.issuedAmount))),
            h('strong', {}, rows.reduce((s, r) => s + r.points.burned, 0).toLocaleString(language())),
            h('strong', {}, money(sum((p) => p.burnedAmount))),
          ],
        ],
      ),
    );
    results.querySelector('table')!.classList.add('portal-points');
    if (focus) summary.focus();
  } catch (error) {
    showFailure(main, results, error);
  }
}

export const pages: Page[] = [{ route: 'portal-points', nav: { order: 12, label: () => m('nav') }, offered: forPartners, render: (main) => pointsPage(main) }];
