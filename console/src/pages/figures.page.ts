// The program's dashboards as charts: one section per figures query, each with its own period,
// its chart(s) with axis labels and units, and its numbers as a table (in a <details>) for the
// keyboard and screen readers. Every section asks and paints on its own, so the first chart does
// not wait for the slowest query. Above them: when the figures were last rebuilt, and a button
// to rebuild them for those who may (refreshProgramFigures: admins and product managers).
import {
  ConsoleBenefitUtilizationFiguresDocument,
  ConsoleMemberGrowthFiguresDocument,
  ConsoleMemberValueFiguresDocument,
  ConsoleOrderValueFiguresDocument,
  ConsolePaidConversionFiguresDocument,
  ConsolePartnerDependencyFiguresDocument,
  ConsolePointsOutstandingFiguresDocument,
  ConsolePointsLiabilityFiguresDocument,
  ConsoleProgramFiguresRunDocument,
  ConsoleRefreshProgramFiguresDocument,
  ConsoleRenewalFiguresDocument,
  ConsoleTierFiguresDocument,
  type ConsoleFiguresRunFragment,
  type FigureBucket,
} from '@coalition-gateway/client';
import { request } from '../api.js';
import { chart, type ChartSpec } from '../charts.js';
import { h, show, type Child } from '../dom.js';
import { formatDate, messages } from '../i18n.js';
import type { Page } from '../pages.js';
import { errorBox, field, select, table } from '../ui.js';
import { can, loadViewer } from '../viewer.js';
import { count, dayInput, isoDay, money, percent, period, periodLabel, programDay } from './figures-format.js';

const m = messages({
  en: {
    nav: 'Figures',
    title: 'Program figures',
    asOf: 'Figures as of {at} ({zone}), rebuilt in {ms} ms ({trigger}).',
    rebuild: 'Rebuild the figures now',
    rebuilding: 'Rebuilding…',
    rebuilt: 'Rebuilt: figures as of {at}.',
    from: 'From',
    to: 'To (included)',
    bucket: 'Per',
    'bucket.DAY': 'day',
    'bucket.WEEK': 'week',
    'bucket.MONTH': 'month',
    show: 'Show',
    table: 'The numbers: {title}',
    empty: 'Nothing in this period.',
    period: 'Period',
    members: 'members',
    rate: 'rate (%)',
    chartOf: '{title}, {from} to {to}. The numbers are in the table below.',
    'growth.title': 'Member growth',
    'growth.total': 'All members',
    'growth.paid': 'Paid members',
    'growth.new': 'New members',
    'growth.newPaid': 'New paid members',
    'conversion.title': 'Paid conversion by the month members joined',
    'conversion.cohort': 'Joined in',
    'conversion.members': 'Members',
    'conversion.converted': 'Ever paid',
    'conversion.within30': 'Paid within 30 days',
    'conversion.rate': 'Conversion',
    'conversion.rate30': 'Conversion within 30 days',
    'renewals.title': 'Renewal and repurchase rates',
    'renewals.due': 'Periods due',
    'renewals.renewed': 'Renewed',
    'renewals.pending': 'In grace',
    'renewals.renewalRate': 'Renewal rate',
    'renewals.ended': 'Memberships ended',
    'renewals.repurchased': 'Bought again',
    'renewals.repurchaseRate': 'Repurchase rate',
    'orders.title': 'Average order value',
    'orders.orders': 'Orders',
    'orders.gross': 'Gross',
    'orders.refunded': 'Refunded',
    'orders.net': 'Net',
    'orders.average': 'Average order value',
    'orders.axis': 'average order value ({currency})',
    'utilization.title': 'Benefit utilization per partner',
    'utilization.benefit': 'Benefit',
    'utilization.partner': 'Partner',
    'utilization.kind': 'Kind',
    'utilization.quota': 'Quota',
    'utilization.rights': 'Rights',
    'utilization.granted': 'Units granted',
    'utilization.used': 'Units used',
    'utilization.rate': 'Utilization',
    'utilization.value': 'Value given',
    'value.title': 'Realized value per member against the fee (“total saved”)',
    'value.summary': '{periods} paid periods: {value} of value for {fees} of fees; on average {averageValue} against {averageFee} ({ratio} of the fee).',
    'value.plan': 'Plan',
    'value.periods': 'Paid periods',
    'value.value': 'Value realized',
    'value.fees': 'Fees',
    'value.ratio': 'Value ÷ fee',
    'value.averageValue': 'Average value per period',
    'value.averageFee': 'Average fee per period',
    'value.axis': 'per paid period ({currency})',
    'value.bands': 'Paid periods by value ÷ fee',
    'value.band': 'Value ÷ fee',
    'liability.title': 'Points liability and when it expires',
    'liability.summaryMoney': '{points} points outstanding, held by {members} members: {amount} (at least {lowest}) at {price} per 1,000 points.',
    'liability.summaryPoints': '{points} points outstanding, held by {members} members. In money: for those who may see the prices agreed with partners.',
    'liability.month': 'Expires in',
    'liability.never': 'No expiry',
    'liability.points': 'Points',
    'liability.members': 'Members',
    'liability.amount': 'Liability',
    'liability.axisMoney': 'liability ({currency})',
    'liability.axisPoints': 'points',
    'tiers.title': 'Tier distribution and movement',
    'tiers.distribution': 'Members per tier now',
    'tiers.tier': 'Tier',
    'tiers.members': 'Members',
    'tiers.share': 'Share',
    'tiers.moves': 'Tier moves per month',
    'tiers.month': 'Month',
    'tiers.from': 'From',
    'tiers.toTier': 'To',
    'tiers.reason': 'Reason',
    'tiers.count': 'Moves',
    'tiers.up': 'Up',
    'tiers.down': 'Down',
    'dependency.title': 'Partner dependency',
    'dependency.summary': 'Value realized: {value}; points issued: {points} (of which by the program: {program}).',
    'dependency.partner': 'Partner',
    'dependency.value': 'Value realized',
    'dependency.valueShare': 'Share of value',
    'dependency.points': 'Points issued',
    'dependency.pointsShare': 'Share of points',
    'dependency.liveRights': 'Live rights',
    'dependency.members': 'Members with live rights',
    'dependency.paid': 'Paid members with live rights',
    'dependency.axis': 'share (%)',
  },
  'zh-CN': {
    nav: '经营数据',
    title: '会员计划经营数据',
    asOf: '数据截至 {at}（{zone}），重建用时 {ms} 毫秒（{trigger}）。',
    rebuild: '立即重建数据',
    rebuilding: '重建中…',
    rebuilt: '已重建：数据截至 {at}。',
    from: '开始',
    to: '结束（含当天）',
    bucket: '按',
    'bucket.DAY': '日',
    'bucket.WEEK': '周',
    'bucket.MONTH': '月',
    show: '显示',
    table: '数据表：{title}',
    empty: '此期间没有数据。',
    period: '期间',
    members: '会员数',
    rate: '比率（%）',
    chartOf: '{title}，{from} 至 {to}。具体数字见下方数据表。',
    'growth.title': '会员增长',
    'growth.total': '全部会员',
    'growth.paid': '付费会员',
    'growth.new': '新会员',
    'growth.newPaid': '新付费会员',
    'conversion.title': '按加入月份的付费转化',
    'conversion.cohort': '加入月份',
    'conversion.members': '会员数',
    'conversion.converted': '曾付费',
    'conversion.within30': '30 天内付费',
    'conversion.rate': '转化率',
    'conversion.rate30': '30 天内转化率',
    'renewals.title': '续费率与复购率',
    'renewals.due': '到期周期',
    'renewals.renewed': '已续费',
    'renewals.pending': '宽限期中',
    'renewals.renewalRate': '续费率',
    'renewals.ended': '已结束的会员资格',
    'renewals.repurchased': '再次购买',
    'renewals.repurchaseRate': '复购率',
    'orders.title': '平均订单金额',
    'orders.orders': '订单数',
    'orders.gross': '总额',
    'orders.refunded': '已退款',
    'orders.net': '净额',
    'orders.average': '平均订单金额',
    'orders.axis': '平均订单金额（{currency}）',
    'utilization.title': '各合作方权益使用率',
    'utilization.benefit': '权益',
    'utilization.partner': '合作方',
    'utilization.kind': '类型',
    'utilization.quota': '次数',
    'utilization.rights': '权益份数',
    'utilization.granted': '发放单位',
    'utilization.used': '使用单位',
    'utilization.rate': '使用率',
    'utilization.value': '带来的价值',
    'value.title': '每位会员实得价值与会费（“累计节省”）',
    'value.summary': '{periods} 个付费周期：价值 {value}，会费 {fees}；平均每周期价值 {averageValue}，会费 {averageFee}（为会费的 {ratio}）。',
    'value.plan': '方案',
    'value.periods': '付费周期',
    'value.value': '实得价值',
    'value.fees': '会费',
    'value.ratio': '价值 ÷ 会费',
    'value.averageValue': '每周期平均价值',
    'value.averageFee': '每周期平均会费',
    'value.axis': '每个付费周期（{currency}）',
    'value.bands': '按价值 ÷ 会费划分的付费周期',
    'value.band': '价值 ÷ 会费',
    'liability.title': '积分负债及到期分布',
    'liability.summaryMoney': '未使用积分 {points}，由 {members} 位会员持有：{amount}（至少 {lowest}），每 1,000 积分 {price}。',
    'liability.summaryPoints': '未使用积分 {points}，由 {members} 位会员持有。折合金额：仅对可查看合作方协议价格的角色显示。',
    'liability.month': '到期月份',
    'liability.never': '不过期',
    'liability.points': '积分',
    'liability.members': '会员数',
    'liability.amount': '负债金额',
    'liability.axisMoney': '负债金额（{currency}）',
    'liability.axisPoints': '积分',
    'tiers.title': '等级分布与变动',
    'tiers.distribution': '当前各等级会员数',
    'tiers.tier': '等级',
    'tiers.members': '会员数',
    'tiers.share': '占比',
    'tiers.moves': '每月等级变动',
    'tiers.month': '月份',
    'tiers.from': '原等级',
    'tiers.toTier': '新等级',
    'tiers.reason': '原因',
    'tiers.count': '变动次数',
    'tiers.up': '升级',
    'tiers.down': '降级',
    'dependency.title': '合作方依赖度',
    'dependency.summary': '实得价值：{value}；发放积分：{points}（其中计划发放：{program}）。',
    'dependency.partner': '合作方',
    'dependency.value': '实得价值',
    'dependency.valueShare': '价值占比',
    'dependency.points': '发放积分',
    'dependency.pointsShare': '积分占比',
    'dependency.liveRights': '有效权益',
    'dependency.members': '持有有效权益的会员',
    'dependency.paid': '持有有效权益的付费会员',
    'dependency.axis': '占比（%）',
  },
});

type Key = Parameters<typeof m>[0];

interface Range {
  from: string;
  to: string;
  bucket: FigureBucket;
}

/** What one section asks for and how it draws its answer. */
interface Section {
  name: string;
  title: Key;
  /** Null: the figure is as of now, with no period. */
  range: Range | null;
  /** Whether the period is cut into buckets (DAY, WEEK, MONTH). */
  bucketed?: boolean;
  load(range: Range, run: ConsoleFiguresRunFragment): Promise<Body>;
}

interface Body {
  summary?: Child;
  charts: ChartSpec[];
  tables: Array<{ caption: string; headers: string[]; rows: Child[][] }>;
}

/** Ends on the program's today; starts on the first day of its month a year before (program days, see `period`). */
function programDefaultRange(bucket: FigureBucket, timeZone: string | undefined): Range {
  const today = programDay(new Date(), timeZone);
  const [year, month] = today.split('-').map(Number) as [number, number];
  const start = new Date(Date.UTC(year - 1, month - 1, 1));
  return { from: isoDay(start), to: today, bucket };
}

function sections(settlement: boolean, timeZone: string | undefined): Section[] {
  const defaultRange = (bucket: FigureBucket) => programDefaultRange(bucket, timeZone);
  return [
    {
      name: 'memberGrowth',
      title: 'growth.title',
      range: defaultRange('MONTH'),
      bucketed: true,
      async load(range, run) {
        const { buckets } = (await request(ConsoleMemberGrowthFiguresDocument, { ...period(range), bucket: range.bucket })).memberGrowthFigures;
        const label = (b: { start: string }) => periodLabel(b.start, range.bucket, run.timeZone);
        return {
          charts: [
            {
              name: 'memberGrowth',
              x: { time: buckets.map((b) => new Date(b.start)), timeZone: run.timeZone },
              xLabel: m('period'),
              yLabel: m('members'),
              series: [
                { label: m('growth.total'), values: buckets.map((b) => b.totalMembers) },
                { label: m('growth.paid'), values: buckets.map((b) => b.paidMembers) },
              ],
              format: count,
              description: describe('growth.title', range),
            },
          ],
          tables: [
            {
              caption: m('growth.title'),
              headers: [m('period'), m('growth.new'), m('growth.newPaid'), m('growth.total'), m('growth.paid')],
              rows: buckets.map((b) => [label(b), count(b.newMembers), count(b.newPaidMembers), count(b.totalMembers), count(b.paidMembers)]),
            },
          ],
        };
      },
    },
    {
      name: 'paidConversion',
      title: 'conversion.title',
      range: defaultRange('MONTH'),
      async load(range, run) {
        const { cohorts } = (await request(ConsolePaidConversionFiguresDocument, period(range))).paidConversionFigures;
        const within = (c: (typeof cohorts)[number]) => (c.members ? c.convertedWithin30Days / c.members : null);
        return {
          charts: [
            {
              name: 'paidConversion',
              x: { time: cohorts.map((c) => new Date(c.month)), timeZone: run.timeZone },
              xLabel: m('conversion.cohort'),
              yLabel: m('rate'),
              series: [
                { label: m('conversion.rate'), values: cohorts.map((c) => c.conversionRate) },
                { label: m('conversion.rate30'), values: cohorts.map(within) },
              ],
              format: percent,
              description: describe('conversion.title', range),
            },
          ],
          tables: [
            {
              caption: m('conversion.title'),
              headers: [m('conversion.cohort'), m('conversion.members'), m('conversion.converted'), m('conversion.within30'), m('conversion.rate'), m('conversion.rate30')],
              rows: cohorts.map((c) => [periodLabel(c.month, 'MONTH', run.timeZone), count(c.members), count(c.converted), count(c.convertedWithin30Days), percent(c.conversionRate), percent(within(c))]),
            },
          ],
        };
      },
    },
    {
      name: 'renewals',
      title: 'renewals.title',
      range: defaultRange('MONTH'),
      bucketed: true,
      async load(range, run) {
        const { buckets } = (await request(ConsoleRenewalFiguresDocument, { ...period(range), bucket: range.bucket })).renewalFigures;
        return {
          charts: [
            {
              name: 'renewals',
              x: { time: buckets.map((b) => new Date(b.start)), timeZone: run.timeZone },
              xLabel: m('period'),
              yLabel: m('rate'),
              series: [
                { label: m('renewals.renewalRate'), values: buckets.map((b) => b.renewalRate) },
                { label: m('renewals.repurchaseRate'), values: buckets.map((b) => b.repurchaseRate) },
              ],
              format: percent,
              description: describe('renewals.title', range),
            },
          ],
          tables: [
            {
              caption: m('renewals.title'),
              headers: [m('period'), m('renewals.due'), m('renewals.renewed'), m('renewals.pending'), m('renewals.renewalRate'), m('renewals.ended'), m('renewals.repurchased'), m('renewals.repurchaseRate')],
              rows: buckets.map((b) => [
                periodLabel(b.start, range.bucket, run.timeZone),
                count(b.periodsDue),
                count(b.periodsRenewed),
                count(b.periodsPending),
                percent(b.renewalRate),
                count(b.membershipsEnded),
                count(b.repurchased),
                percent(b.repurchaseRate),
              ]),
            },
          ],
        };
      },
    },
    {
      name: 'orderValue',
      title: 'orders.title',
      range: defaultRange('WEEK'),
      bucketed: true,
      async load(range, run) {
        const { buckets } = (await request(ConsoleOrderValueFiguresDocument, { ...period(range), bucket: range.bucket })).orderValueFigures;
        return {
          charts: [
            {
              name: 'orderValue',
              x: { time: buckets.map((b) => new Date(b.start)), timeZone: run.timeZone },
              xLabel: m('period'),
              yLabel: m('orders.axis', { currency: run.currency }),
              series: [{ label: m('orders.average'), values: buckets.map((b) => (b.averageOrderValue ? b.averageOrderValue.amount : null)) }],
              format: (v) => money(v, run.currency, 0),
              description: describe('orders.title', range),
            },
          ],
          tables: [
            {
              caption: m('orders.title'),
              headers: [m('period'), m('orders.orders'), m('orders.gross'), m('orders.refunded'), m('orders.net'), m('orders.average')],
              rows: buckets.map((b) => [
                periodLabel(b.start, range.bucket, run.timeZone),
                count(b.orders),
                money(b.gross.amount, b.gross.currency),
                money(b.refunded.amount, b.refunded.currency),
                money(b.net.amount, b.net.currency),
                b.averageOrderValue ? money(b.averageOrderValue.amount, b.averageOrderValue.currency) : '—',
              ]),
            },
          ],
        };
      },
    },
    {
      name: 'benefitUtilization',
      title: 'utilization.title',
      range: defaultRange('MONTH'),
      async load(range) {
        const { benefits } = (await request(ConsoleBenefitUtilizationFiguresDocument, period(range))).benefitUtilizationFigures;
        return {
          charts: [
            {
              name: 'benefitUtilization',
              x: { categories: benefits.map((b) => `${b.benefitName} · ${b.partnerName}${b.quota === null ? '' : ` ×${b.quota}`}`) },
              xLabel: m('utilization.benefit'),
              yLabel: m('rate'),
              series: [{ label: m('utilization.rate'), values: benefits.map((b) => b.utilization), kind: 'bars' }],
              format: percent,
              description: describe('utilization.title', range),
            },
          ],
          tables: [
            {
              caption: m('utilization.title'),
              headers: [m('utilization.benefit'), m('utilization.partner'), m('utilization.kind'), m('utilization.quota'), m('utilization.rights'), m('utilization.granted'), m('utilization.used'), m('utilization.rate'), m('utilization.value')],
              rows: benefits.map((b) => [
                h('span', {}, b.benefitName, ' ', h('code', {}, b.benefitCode)),
                b.partnerName,
                b.kind,
                b.quota === null ? '—' : count(b.quota),
                count(b.rights),
                count(b.unitsGranted),
                count(b.unitsUsed),
                percent(b.utilization),
                money(b.value.amount, b.value.currency),
              ]),
            },
          ],
        };
      },
    },
    {
      name: 'memberValue',
      title: 'value.title',
      range: defaultRange('MONTH'),
      async load(range) {
        const f = (await request(ConsoleMemberValueFiguresDocument, period(range))).memberValueFigures;
        const perPeriod = (total: number, periods: number) => (periods ? Math.round(total / periods) : null);
        return {
          summary: h(
            'p',
            { class: 'figure-summary' },
            m('value.summary', {
              periods: count(f.periods),
              value: money(f.value.amount, f.currency),
              fees: money(f.fees.amount, f.currency),
              averageValue: f.averageValue ? money(f.averageValue.amount, f.currency) : '—',
              averageFee: f.averageFee ? money(f.averageFee.amount, f.currency) : '—',
              ratio: percent(f.valueToFee),
            }),
          ),
          charts: [
            {
              name: 'memberValue',
              x: { categories: f.byPlan.map((p) => p.planCode) },
              xLabel: m('value.plan'),
              yLabel: m('value.axis', { currency: f.currency }),
              series: [
                { label: m('value.averageValue'), values: f.byPlan.map((p) => perPeriod(p.value.amount, p.periods)), kind: 'bars' },
                { label: m('value.averageFee'), values: f.byPlan.map((p) => perPeriod(p.fees.amount, p.periods)), kind: 'bars' },
              ],
              format: (v) => money(v, f.currency, 0),
              description: describe('value.title', range),
            },
            {
              name: 'valueBands',
              x: { categories: f.bands.map((b) => b.label) },
              xLabel: m('value.band'),
              yLabel: m('value.periods'),
              series: [{ label: m('value.periods'), values: f.bands.map((b) => b.periods), kind: 'bars' }],
              format: count,
              description: describe('value.bands', range),
            },
          ],
          tables: [
            {
              caption: m('value.title'),
              headers: [m('value.plan'), m('value.periods'), m('value.value'), m('value.fees'), m('value.ratio'), m('value.averageValue'), m('value.averageFee')],
              rows: f.byPlan.map((p) => [
                p.planCode,
                count(p.periods),
                money(p.value.amount, p.value.currency),
                money(p.fees.amount, p.fees.currency),
                percent(p.valueToFee),
                money(perPeriod(p.value.amount, p.periods), f.currency),
                money(perPeriod(p.fees.amount, p.periods), f.currency),
              ]),
            },
            { caption: m('value.bands'), headers: [m('value.band'), m('value.periods')], rows: f.bands.map((b) => [b.label, count(b.periods)]) },
          ],
        };
      },
    },
    {
      name: 'pointsLiability',
      title: 'liability.title',
      range: null,
      async load(_range, run) {
        const monthOf = (month: string | null) => (month ? periodLabel(month, 'MONTH', run.timeZone) : m('liability.never'));
        if (!settlement) {
          // Without the prices agreed with partners: the same rebuild's figures in points.
          const f = (await request(ConsolePointsOutstandingFiguresDocument, {})).pointsOutstandingFigures;
          return {
            summary: h('p', { class: 'figure-summary' }, m('liability.summaryPoints', { points: count(f.outstandingPoints), members: count(f.members) })),
            charts: [
              {
                name: 'pointsLiability',
                x: { categories: f.expiry.map((e) => monthOf(e.month)) },
                xLabel: m('liability.month'),
                yLabel: m('liability.axisPoints'),
                series: [{ label: m('liability.points'), values: f.expiry.map((e) => e.points), kind: 'bars' }],
                format: count,
                description: describe('liability.title', null),
              },
            ],
            tables: [
              {
                caption: m('liability.title'),
                headers: [m('liability.month'), m('liability.points'), m('liability.members')],
                rows: f.expiry.map((e) => [monthOf(e.month), count(e.points), count(e.members)]),
              },
            ],
          };
        }
        const f = (await request(ConsolePointsLiabilityFiguresDocument, {})).pointsLiabilityFigures;
        return {
          summary: h(
            'p',
            { class: 'figure-summary' },
            m('liability.summaryMoney', {
              points: count(f.outstandingPoints),
              members: count(f.members),
              amount: money(f.amount.amount, f.amount.currency),
              lowest: money(f.lowestAmount.amount, f.lowestAmount.currency),
              price: money(f.pricePer1000, f.amount.currency),
            }),
          ),
          charts: [
            {
              name: 'pointsLiability',
              x: { categories: f.expiry.map((e) => monthOf(e.month)) },
              xLabel: m('liability.month'),
              yLabel: m('liability.axisMoney', { currency: f.amount.currency }),
              series: [{ label: m('liability.amount'), values: f.expiry.map((e) => e.amount.amount), kind: 'bars' }],
              format: (v) => money(v, f.amount.currency, 0),
              description: describe('liability.title', null),
            },
          ],
          tables: [
            {
              caption: m('liability.title'),
              headers: [m('liability.month'), m('liability.points'), m('liability.members'), m('liability.amount')],
              rows: f.expiry.map((e) => [monthOf(e.month), count(e.points), count(e.members), money(e.amount.amount, e.amount.currency)]),
            },
          ],
        };
      },
    },
    {
      name: 'tiers',
      title: 'tiers.title',
      range: defaultRange('MONTH'),
      async load(range, run) {
        const f = (await request(ConsoleTierFiguresDocument, period(range))).tierFigures;
        const rank = new Map(f.distribution.map((t) => [t.tierCode, t.rank]));
        const name = new Map(f.distribution.map((t) => [t.tierCode, t.tierName]));
        const months = [...new Set(f.moves.map((mv) => mv.month))].sort();
        const moved = (month: string, up: boolean) =>
          f.moves.filter((mv) => mv.month === month && (rank.get(mv.toTier) ?? 0) > (rank.get(mv.fromTier) ?? 0) === up).reduce((acc, mv) => acc + mv.moves, 0);
        return {
          charts: [
            {
              name: 'tierDistribution',
              x: { categories: f.distribution.map((t) => t.tierName) },
              xLabel: m('tiers.tier'),
              yLabel: m('members'),
              series: [{ label: m('tiers.members'), values: f.distribution.map((t) => t.members), kind: 'bars' }],
              format: count,
              description: describe('tiers.distribution', null),
            },
            {
              name: 'tierMoves',
              x: { categories: months.map((month) => periodLabel(month, 'MONTH', run.timeZone)) },
              xLabel: m('tiers.month'),
              yLabel: m('tiers.count'),
              series: [
                { label: m('tiers.up'), values: months.map((month) => moved(month, true)), kind: 'bars' },
                { label: m('tiers.down'), values: months.map((month) => moved(month, false)), kind: 'bars' },
              ],
              format: count,
              description: describe('tiers.moves', range),
            },
          ],
          tables: [
            {
              caption: m('tiers.distribution'),
              headers: [m('tiers.tier'), m('tiers.members'), m('tiers.share')],
              rows: f.distribution.map((t) => [h('span', {}, t.tierName, ' ', h('code', {}, t.tierCode)), count(t.members), percent(t.share)]),
            },
            {
              caption: m('tiers.moves'),
              headers: [m('tiers.month'), m('tiers.from'), m('tiers.toTier'), m('tiers.reason'), m('tiers.count')],
              rows: f.moves.map((mv) => [periodLabel(mv.month, 'MONTH', run.timeZone), name.get(mv.fromTier) ?? mv.fromTier, name.get(mv.toTier) ?? mv.toTier, mv.reason, count(mv.moves)]),
            },
          ],
        };
      },
    },
    {
      name: 'partnerDependency',
      title: 'dependency.title',
      range: defaultRange('MONTH'),
      async load(range) {
        const f = (await request(ConsolePartnerDependencyFiguresDocument, period(range))).partnerDependencyFigures;
        return {
          summary: h(
            'p',
            { class: 'figure-summary' },
            m('dependency.summary', { value: money(f.realizedValue.amount, f.realizedValue.currency), points: count(f.pointsIssued), program: count(f.programPointsIssued) }),
          ),
          charts: [
            {
              name: 'partnerDependency',
              x: { categories: f.partners.map((p) => p.partnerName) },
              xLabel: m('dependency.partner'),
              yLabel: m('dependency.axis'),
              series: [
                { label: m('dependency.valueShare'), values: f.partners.map((p) => p.valueShare), kind: 'bars' },
                { label: m('dependency.pointsShare'), values: f.partners.map((p) => p.pointsShare), kind: 'bars' },
              ],
              format: percent,
              description: describe('dependency.title', range),
            },
          ],
          tables: [
            {
              caption: m('dependency.title'),
              headers: [m('dependency.partner'), m('dependency.value'), m('dependency.valueShare'), m('dependency.points'), m('dependency.pointsShare'), m('dependency.liveRights'), m('dependency.members'), m('dependency.paid')],
              rows: f.partners.map((p) => [
                p.partnerName,
                money(p.realizedValue.amount, p.realizedValue.currency),
                percent(p.valueShare),
                count(p.pointsIssued),
                percent(p.pointsShare),
                count(p.liveRights),
                count(p.membersWithLiveRights),
                count(p.paidMembersWithLiveRights),
              ]),
            },
          ],
        };
      },
    },
  ];
}

function describe(title: Key, range: Range | null): string {
  return range ? m('chartOf', { title: m(title), from: range.from, to: range.to }) : m(title);
}

async function figuresPage(main: HTMLElement): Promise<void> {
  const viewer = await loadViewer();
  const run = request(ConsoleProgramFiguresRunDocument, {}).then((r) => r.programFiguresRun);
  // Periods are program days: "today" is the program's (its time zone comes with the run).
  const timeZone = await run.then(
    (r) => r.timeZone,
    () => undefined,
  );
  const header = h('div', { class: 'figures-run', 'aria-live': 'polite' }, m('asOf', { at: '…', zone: '…', ms: '…', trigger: '…' }));
  const all = sections(can(viewer, 'SETTLEMENT'), timeZone);
  const places = all.map((section) => h('section', { class: 'figure', 'data-figure': section.name, 'aria-labelledby': `figure-${section.name}` }));
  show(main, h('h1', {}, m('title')), header, h('div', { class: 'figures' }, places));
  // Every section asks at once; each paints when its own answer (and the run's time zone) is in.
  all.forEach((section, i) => void drawSection(places[i]!, section, run));
  try {
    showRun(header, await run, can(viewer, 'CONFIGURE'), () => void figuresPage(main));
  } catch (error) {
    show(header, errorBox(error));
  }
}

function showRun(place: HTMLElement, run: ConsoleFiguresRunFragment, mayRebuild: boolean, again: () => void): void {
  const status = h('span', { role: 'status' });
  const rebuild = async (button: HTMLButtonElement) => {
    button.disabled = true;
    status.textContent = m('rebuilding');
    try {
      const { refreshProgramFigures } = await request(ConsoleRefreshProgramFiguresDocument, {});
      status.textContent = m('rebuilt', { at: formatDate(refreshProgramFigures.asOf) });
      again();
    } catch (error) {
      button.disabled = false;
      show(status, errorBox(error));
    }
  };
  show(
    place,
    h('p', {}, m('asOf', { at: formatDate(run.asOf), zone: run.timeZone, ms: count(run.durationMs), trigger: run.trigger })),
    mayRebuild ? h('button', { type: 'button', class: 'secondary', onclick: (event: Event) => void rebuild(event.currentTarget as HTMLButtonElement) }, m('rebuild')) : null,
    status,
  );
}

async function drawSection(place: HTMLElement, section: Section, run: Promise<ConsoleFiguresRunFragment>): Promise<void> {
  const heading = h('h2', { id: `figure-${section.name}` }, m(section.title));
  const body = h('div', { class: 'figure-body', 'aria-busy': 'true' }, h('p', { class: 'hint' }, '…'));
  show(place, heading, section.range ? periodForm(section, () => void drawSection(place, section, run)) : null, body);
  try {
    const current = await run;
    const answer = await section.load(section.range ?? programDefaultRange('MONTH', current.timeZone), current);
    const charts = answer.charts.map((spec) => chart(spec, spec.yLabel));
    show(
      body,
      answer.summary,
      answer.charts.every((spec) => spec.series.every((s) => s.values.length === 0)) ? h('p', {}, m('empty')) : null,
      charts.map((c) => c.figure),
      answer.tables.map((t) =>
        h('details', { class: 'figure-data' }, h('summary', {}, m('table', { title: t.caption })), t.rows.length ? table(t.headers, t.rows, t.caption) : h('p', {}, m('empty'))),
      ),
    );
    body.removeAttribute('aria-busy');
    for (const c of charts) c.draw();
  } catch (error) {
    body.removeAttribute('aria-busy');
    show(body, errorBox(error));
    // Its charts will not draw: the paint bench counts it as failed instead of waiting.
    performance.mark(`figure:${section.name}:failed`);
  }
}

/** The section's period (and bucket): changing it asks again for this section only. */
function periodForm(section: Section, redraw: () => void): HTMLElement {
  const range = section.range!;
  const from = dayInput(range.from);
  const to = dayInput(range.to);
  const bucket = section.bucketed ? select((['DAY', 'WEEK', 'MONTH'] as const).map((b) => [b, m(`bucket.${b}`)] as const), range.bucket) : null;
  return h(
    'form',
    {
      class: 'inline figure-period',
      'aria-label': `${m(section.title)}: ${m('period')}`,
      onsubmit: (event: Event) => {
        event.preventDefault();
        section.range = { from: from.value || range.from, to: to.value || range.to, bucket: (bucket?.value as FigureBucket | undefined) ?? range.bucket };
        redraw();
      },
    },
    field('from', m('from'), from),
    field('to', m('to'), to),
    bucket ? field('bucket', m('bucket'), bucket) : null,
    h('button', { type: 'submit', class: 'secondary' }, m('show')),
  );
}

export const pages: Page[] = [{ route: 'figures', nav: { order: 50, label: () => m('nav') }, offered: (viewer) => can(viewer, 'VIEW_FIGURES'), render: figuresPage }];
