// The partner portal's settlement: a period of whole days (the last calendar month unless chosen),
// the statement for it (partnerSettlement: a line per benefit, the points, the totals and the
// net) and the same statement as CSV or PDF, fetched with the session's key and saved under the
// server's file name. A bad period shows the server's problems at the period's fields.
import type { Page } from '../pages.js';
import { ApiError, request } from '../api.js';
import { h, show } from '../dom.js';
import { ConsolePortalSettlementDocument, type ConsolePortalSettlementQuery } from '@coalition-gateway/client';
import { formatMoney, language, messages, t } from '../i18n.js';
import { clearProblems, errorBox, field, input, placeProblems, table } from '../ui.js';
import { downloadStatement, endOf, forPartners, lastMonth, m as portal, signedOutIfKeyStopped, startOf, timeZoneNote } from './portal.js';

const m = messages({
  en: {
    nav: 'Settlement',
    title: 'Settlement',
    intro: 'What the coalition owes you and you owe it for a period: the benefits redeemed at your agreed unit prices, and the points issued and burned at your tills.',
    period: 'Period',
    show: 'Show statement',
    csv: 'Download CSV',
    pdf: 'Download PDF',
    saved: 'Saved {name}.',
    heading: 'Statement of {partner}, {from} to {to}',
    lines: 'Benefits redeemed',
    'col.benefit': 'Benefit',
    'col.redemptions': 'Redemptions',
    'col.voided': 'Voided',
    'col.units': 'Units (net)',
    'col.unitPrice': 'Unit price',
    'col.amount': 'Amount',
    total: 'Total',
    points: 'Points',
    'col.what': '',
    'col.points': 'Points',
    'col.price': 'Per 1,000 points',
    'col.payableBy': 'Payable by',
    issued: 'Issued at your till',
    burned: 'Burned at your till',
    you: 'you',
    us: 'the coalition',
    net: 'Net for the period',
    netToYou: 'The coalition owes you {amount}.',
    netToUs: 'You owe the coalition {amount}.',
    netUnknown: 'No net: the amounts are not all priced in one currency.',
    noPrice: 'not agreed',
  },
  'zh-CN': {
    nav: '结算',
    title: '结算',
    intro: '一个期间内联盟应付您和您应付联盟的款项：按约定单价计算的已核销权益，以及在您门店发放和消耗的积分。',
    period: '期间',
    show: '查看结算单',
    csv: '下载 CSV',
    pdf: '下载 PDF',
    saved: '已保存 {name}。',
    heading: '{partner} 的结算单，{from} 至 {to}',
    lines: '已核销的权益',
    'col.benefit': '权益',
    'col.redemptions': '核销次数',
    'col.voided': '已撤销',
    'col.units': '次数（净）',
    'col.unitPrice': '单价',
    'col.amount': '金额',
    total: '合计',
    points: '积分',
    'col.what': '',
    'col.points': '积分',
    'col.price': '每 1,000 积分',
    'col.payableBy': '付款方',
    issued: '在您门店发放',
    burned: '在您门店消耗',
    you: '您',
    us: '联盟',
    net: '本期净额',
    netToYou: '联盟应付您 {amount}。',
    netToUs: '您应付联盟 {amount}。',
    netUnknown: '无净额：各项金额未以同一币种定价。',
    noPrice: '未约定',
  },
});

type Settlement = ConsolePortalSettlementQuery['partnerSettlement'];
/** Money as the statement answers it (`SettlementAmount.amount` is a SafeInt, typed unknown). */
type Money = { amount: unknown; currency: string } | null;

function settlementPage(main: HTMLElement): void {
  const period = lastMonth();
  const first = input({ type: 'date', name: 'from', value: period.first, required: true });
  const last = input({ type: 'date', name: 'to', value: period.last, required: true });
  const outcome = h('div', { class: 'portal-outcome' });
  const statement = h('div', { class: 'portal-statement' });
  const form = h(
    'form',
    {
      class: 'portal-period',
      onsubmit: (event: Event) => {
        event.preventDefault();
        const action = ((event as SubmitEvent).submitter as HTMLButtonElement | null)?.value ?? 'show';
        void run(main, form, outcome, statement, action as 'show' | 'csv' | 'pdf', first.value, last.value);
      },
    },
    h(
      'fieldset',
      { 'data-field': '' },
      h('legend', {}, m('period')),
      h('p', { class: 'problem', hidden: true }),
      h('div', { class: 'grid' }, field('from', portal('first'), first), field('to', portal('last'), last)),
      timeZoneNote(),
      h(
        'p',
        { class: 'buttons' },
        h('button', { type: 'submit', name: 'action', value: 'show' }, m('show')),
        h('button', { type: 'submit', name: 'action', value: 'csv', class: 'secondary' }, m('csv')),
        h('button', { type: 'submit', name: 'action', value: 'pdf', class: 'secondary' }, m('pdf')),
      ),
    ),
  );
  show(main, h('h1', {}, m('title')), h('p', {}, m('intro')), form, outcome, statement);
  void run(main, form, outcome, statement, 'show', first.value, last.value, false);
}

async function run(main: HTMLElement, form: HTMLFormElement, outcome: HTMLElement, statement: HTMLElement, action: 'show' | 'csv' | 'pdf', first: string, last: string, focus = true): Promise<void> {
  clearProblems(form);
  show(outcome);
  if (action === 'show') show(statement, h('p', {}, t('common.loading')));
  try {
    if (action === 'show') {
      const { partnerSettlement } = await request(ConsolePortalSettlementDocument, { from: startOf(first), to: endOf(last) });
      show(statement, statementView(partnerSettlement));
      if (focus) statement.querySelector<HTMLElement>('h2')!.focus();
    } else {
      const name = await downloadStatement(action, startOf(first), endOf(last));
      show(outcome, h('p', { class: 'notice', role: 'status', tabindex: -1, 'data-file': name }, m('saved', { name })));
      outcome.querySelector<HTMLElement>('[role=status]')!.focus();
    }
  } catch (error) {
    if (signedOutIfKeyStopped(main, error)) return;
    if (action === 'show') show(statement);
    show(outcome, errorBox(error));
    placeProblems(form, error instanceof ApiError ? error.errors.flatMap((e) => e.problems) : []);
    outcome.querySelector<HTMLElement>('[role=alert]')!.focus();
  }
}

function statementView(s: Settlement): HTMLElement {
  const money = (value: Money) => (value ? formatMoney(Number(value.amount), value.currency) : m('noPrice'));
  const lastDay = new Date(new Date(s.to).getTime() - 1);
  const net = netOf(s);
  return h(
    'section',
    { class: 'portal-settlement', 'aria-labelledby': 'portal-statement-title' },
    h('h2', { id: 'portal-statement-title', tabindex: -1 }, m('heading', { partner: s.partner.name, from: formatDay(new Date(s.from)), to: formatDay(lastDay) })),
    h('h3', {}, m('lines')),
    table(
      [m('col.benefit'), m('col.redemptions'), m('col.voided'), m('col.units'), m('col.unitPrice'), m('col.amount')],
      [
        ...s.lines.map((l) => [h('span', {}, l.benefit.name, ' ', h('code', {}, l.benefit.code)), String(l.redemptions), String(l.voidedRedemptions), String(l.units), money(l.unitPrice), money(l.amount)]),
        [h('strong', {}, m('total')), h('strong', {}, String(s.totalRedemptions)), h('strong', {}, String(s.totalVoidedRedemptions)), h('strong', {}, String(s.totalUnits)), '', h('strong', {}, money(s.totalAmount))],
      ],
    ),
    h('h3', {}, m('points')),
    table(
      [m('col.what'), m('col.points'), m('col.price'), m('col.amount'), m('col.payableBy')],
      [
        [m('issued'), s.points.issued.toLocaleString(), money(s.points.issuePricePer1000), money(s.points.issuedAmount), m('you')],
        [m('burned'), s.points.burned.toLocaleString(), money(s.points.burnPricePer1000), money(s.points.burnedAmount), m('us')],
      ],
    ),
    h('h3', {}, m('net')),
    h('p', { class: 'portal-net', 'data-net': net ? String(net.amount) : '' }, net ? m(net.amount >= 0 ? 'netToYou' : 'netToUs', { amount: formatMoney(Math.abs(net.amount), net.currency) }) : m('netUnknown')),
  );
}

/** Benefits and points burned owed to the partner, less the points it issued; null unless every amount is in one currency. */
function netOf(s: Settlement): { amount: number; currency: string } | null {
  const present = (values: Money[]) => values.filter((v): v is NonNullable<Money> => v !== null);
  const owed = present([s.totalAmount, s.points.burnedAmount]);
  const owing = present([s.points.issuedAmount]);
  const currencies = new Set([...owed, ...owing].map((v) => v.currency));
  if (currencies.size !== 1) return null;
  const sum = (values: NonNullable<Money>[]) => values.reduce((total, v) => total + Number(v.amount), 0);
  return { amount: sum(owed) - sum(owing), currency: [...currencies][0]! };
}

const formatDay = (date: Date): string => new Intl.DateTimeFormat(language(), { dateStyle: 'medium' }).format(date);

export const pages: Page[] = [{ route: 'portal-settlement', nav: { order: 13, label: () => m('nav') }, offered: forPartners, render: settlementPage }];
