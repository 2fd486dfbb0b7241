// The figures priced at what partners are paid (admins, product managers, finance): "what if this
// partner leaves" (partnerExitFigures) at #/partner-exit/<partner id>, and a bundle version's cost
// per member and period against each plan's fee, with utilization and points to simulate
// (bundleCostSimulation), the server's problems shown at the fields they name.
import {
  ConsoleBundleCostSimulationDocument,
  ConsolePartnerExitFiguresDocument,
  ConsolePartnersDocument,
  type ConsoleBundleCostSimulationQuery,
  type ConsolePartnerExitFiguresQuery,
  type Problem,
} from '@coalition-gateway/client';
import { ApiError, request } from '../api.js';
import { chart } from '../charts.js';
import { h, show } from '../dom.js';
import { messages } from '../i18n.js';
import type { Page } from '../pages.js';
import { errorBox, field, input, placeProblems, select, table } from '../ui.js';
import { can } from '../viewer.js';
import { count, money, percent } from './figures-format.js';

const m = messages({
  en: {
    nav: 'Partner economics',
    title: 'Partner economics',
    exitTitle: 'What if this partner leaves',
    partner: 'Partner',
    show: 'Show',
    choose: 'Choose a partner to see what its leaving would touch.',
    summary: '{partner}: {members} members hold its rights now ({paid} of them paying); its till issued {points} points still outstanding, a liability of {liability}.',
    rights: 'Rights affected now',
    benefit: 'Benefit',
    kind: 'Kind',
    source: 'Source',
    rightsCount: 'Rights',
    members: 'Members',
    rewards: 'Rewards it delivers',
    reward: 'Reward',
    pointsCost: 'Points',
    replacements: 'Replacement benefits, with their unit prices',
    replaces: 'Instead of {benefit}',
    candidatePartner: 'Partner',
    unitPrice: 'Unit price paid',
    memberValue: 'Value to a member',
    noReplacement: 'No other partner offers a benefit of this kind.',
    none: 'None.',
    rightsChart: 'Rights affected by benefit',
    rightsAxis: 'rights',
    rightsChartOf: 'Rights of {partner} affected now, by benefit. The numbers are in the table below.',
    simTitle: 'Bundle cost simulation',
    simHelp: 'A bundle version’s partner and points cost per member and period against each plan’s fee: observed utilization unless you set one (0 to 1), observed points per period unless you set them.',
    version: 'Bundle version id',
    simulate: 'Simulate',
    pointsPerPeriod: 'Points per member and period (empty: observed)',
    utilizationOf: 'Utilization of {benefit} (0 to 1; observed {observed}, {source})',
    plan: 'Plan {plan} ({period}): fee {fee}, cost {cost} ({ratio} of the fee), margin {margin}',
    planChartOf: 'Cost per member and period of plan {plan} against its fee {fee}. The numbers are in the table below.',
    unitsPerPeriod: 'Units per period',
    utilization: 'Utilization',
    expectedUnits: 'Expected units',
    cost: 'Cost',
    partnerCost: 'Partner cost',
    pointsCostLine: 'Points ({points} a period, {observed} periods observed)',
    fee: 'Fee',
    money: 'per member and period ({currency})',
    total: 'Total cost',
    costs: 'Cost against the fee',
  },
  'zh-CN': {
    nav: '合作方经营',
    title: '合作方经营',
    exitTitle: '如果该合作方退出',
    partner: '合作方',
    show: '显示',
    choose: '选择一个合作方，查看其退出会影响什么。',
    summary: '{partner}：目前有 {members} 位会员持有其权益（其中 {paid} 位付费）；其门店发放且尚未使用的积分 {points}，负债 {liability}。',
    rights: '当前受影响的权益',
    benefit: '权益',
    kind: '类型',
    source: '来源',
    rightsCount: '权益份数',
    members: '会员数',
    rewards: '其提供的积分兑换',
    reward: '兑换项',
    pointsCost: '积分',
    replacements: '可替代的权益及单价',
    replaces: '替代 {benefit}',
    candidatePartner: '合作方',
    unitPrice: '支付单价',
    memberValue: '对会员的价值',
    noReplacement: '没有其他合作方提供此类权益。',
    none: '无。',
    rightsChart: '按权益统计受影响的权益份数',
    rightsAxis: '权益份数',
    rightsChartOf: '{partner} 当前受影响的权益，按权益统计。具体数字见下方数据表。',
    simTitle: '礼包成本模拟',
    simHelp: '礼包版本每位会员每周期的合作方成本与积分成本，对比各方案会费：未填写时使用观测到的使用率（0 到 1）和每周期积分。',
    version: '礼包版本 ID',
    simulate: '模拟',
    pointsPerPeriod: '每位会员每周期积分（留空：按观测值）',
    utilizationOf: '{benefit} 的使用率（0 到 1；观测值 {observed}，{source}）',
    plan: '方案 {plan}（{period}）：会费 {fee}，成本 {cost}（为会费的 {ratio}），毛利 {margin}',
    planChartOf: '方案 {plan} 每位会员每周期成本与会费 {fee} 的对比。具体数字见下方数据表。',
    unitsPerPeriod: '每周期单位',
    utilization: '使用率',
    expectedUnits: '预计单位',
    cost: '成本',
    partnerCost: '合作方成本',
    pointsCostLine: '积分（每周期 {points}，观测 {observed} 个周期）',
    fee: '会费',
    money: '每位会员每周期（{currency}）',
    total: '总成本',
    costs: '成本与会费对比',
  },
});

async function partnerExitPage(main: HTMLElement, rest: string[]): Promise<void> {
  const partnerId = rest[0] ?? '';
  const exit = h('div', { class: 'partner-exit', 'aria-live': 'polite' });
  const simulation = h('section', { class: 'simulation', 'aria-labelledby': 'simulation-heading' });
  show(main, h('h1', {}, m('title')), h('section', { 'aria-labelledby': 'exit-heading' }, h('h2', { id: 'exit-heading' }, m('exitTitle')), exit), simulation);
  new Simulation(simulation).render();
  try {
    const { partners } = await request(ConsolePartnersDocument, {});
    const choice = select([['', '—'], ...partners.map((p) => [p.id, `${p.name} (${p.id})`] as const)], partnerId);
    choice.required = true;
    const result = h('div', {});
    show(
      exit,
      h(
        'form',
        {
          class: 'inline',
          onsubmit: (event: Event) => {
            event.preventDefault();
            if (choice.value) location.hash = `#/partner-exit/${encodeURIComponent(choice.value)}`;
          },
        },
        field('partnerId', m('partner'), choice),
        h('button', { type: 'submit' }, m('show')),
      ),
      result,
    );
    if (!partnerId) {
      show(result, h('p', { class: 'hint' }, m('choose')));
      return;
    }
    show(result, h('p', {}, '…'));
    const { partnerExitFigures } = await request(ConsolePartnerExitFiguresDocument, { partnerId });
    drawExit(result, partnerExitFigures);
  } catch (error) {
    exit.append(errorBox(error));
  }
}

function drawExit(place: HTMLElement, f: ConsolePartnerExitFiguresQuery['partnerExitFigures']): void {
  const byBenefit = new Map<string, number>();
  for (const r of f.rights) byBenefit.set(r.benefitName, (byBenefit.get(r.benefitName) ?? 0) + r.rights);
  const rightsChart = f.rights.length
    ? chart(
        {
          name: 'partnerExitRights',
          x: { categories: [...byBenefit.keys()] },
          xLabel: m('benefit'),
          yLabel: m('rightsAxis'),
          series: [{ label: m('rightsCount'), values: [...byBenefit.values()], kind: 'bars' }],
          format: count,
          description: m('rightsChartOf', { partner: f.partnerName }),
        },
        m('rightsChart'),
      )
    : null;
  show(
    place,
    h(
      'p',
      { class: 'figure-summary', 'data-partner': f.partnerId },
      m('summary', { partner: f.partnerName, members: count(f.members), paid: count(f.paidMembers), points: count(f.pointsOutstanding), liability: money(f.pointsLiability.amount, f.pointsLiability.currency) }),
    ),
    h('h3', {}, m('rights')),
    rightsChart?.figure,
    f.rights.length
      ? table(
          [m('benefit'), m('kind'), m('source'), m('rightsCount'), m('members')],
          f.rights.map((r) => [h('span', {}, r.benefitName, ' ', h('code', {}, r.benefitCode)), r.kind, r.source, count(r.rights), count(r.members)]),
          m('rights'),
        )
      : h('p', {}, m('none')),
    h('h3', {}, m('rewards')),
    f.rewards.length ? table([m('reward'), m('pointsCost')], f.rewards.map((r) => [h('span', {}, r.rewardName, ' ', h('code', {}, r.rewardCode)), count(r.pointsCost)]), m('rewards')) : h('p', {}, m('none')),
    h('h3', {}, m('replacements')),
    f.replacements.length
      ? f.replacements.map((r) =>
          h(
            'div',
            { class: 'replacement', 'data-benefit': r.benefit.benefitCode },
            h('h4', {}, m('replaces', { benefit: `${r.benefit.benefitName} (${r.benefit.kind})` })),
            r.candidates.length
              ? table(
                  [m('benefit'), m('candidatePartner'), m('kind'), m('unitPrice'), m('memberValue')],
                  r.candidates.map((c) => [
                    h('span', {}, c.benefitName, ' ', h('code', {}, c.benefitCode)),
                    c.partnerName,
                    c.kind,
                    c.unitPrice ? money(c.unitPrice.amount, c.unitPrice.currency) : '—',
                    c.memberValue ? money(c.memberValue.amount, c.memberValue.currency) : '—',
                  ]),
                  m('replaces', { benefit: r.benefit.benefitName }),
                )
              : h('p', {}, m('noReplacement')),
          ),
        )
      : h('p', {}, m('none')),
  );
  rightsChart?.draw();
}

type Simulated = ConsoleBundleCostSimulationQuery['bundleCostSimulation'];

/** The simulation's form and answer: the last answer's benefits become utilization fields. */
class Simulation {
  private versionId = '';
  private points = '';
  private readonly utilization = new Map<string, string>();
  private answer: Simulated | null = null;
  private error: unknown = null;

  constructor(private readonly place: HTMLElement) {}

  render(): void {
    const version = input({ name: 'bundleVersionId', value: this.versionId, required: true, autocomplete: 'off', spellcheck: 'false' });
    version.addEventListener('input', () => (this.versionId = version.value.trim()));
    const points = input({ name: 'pointsPerPeriod', type: 'number', step: 1, value: this.points, inputmode: 'numeric' });
    points.addEventListener('input', () => (this.points = points.value));
    const lines = this.answer?.plans[0]?.lines ?? [];
    const form = h(
      'form',
      // The server checks the numbers (0 to 1, ≥ 0) and says which field is wrong.
      { class: 'simulation-form', novalidate: true, onsubmit: (event: Event) => (event.preventDefault(), void this.simulate()) },
      h('p', { class: 'problem', hidden: true }),
      field('bundleVersionId', m('version'), version),
      field('pointsPerPeriod', m('pointsPerPeriod'), points),
      lines.length
        ? h(
            'fieldset',
            { 'data-field': 'utilization' },
            h('legend', {}, m('utilization')),
            h('p', { class: 'problem', hidden: true }),
            h(
              'div',
              { class: 'grid' },
              lines.map((line) => {
                const control = input({ type: 'number', step: 'any', value: this.utilization.get(line.benefitCode) ?? '', placeholder: String(Number(line.utilization.toFixed(4))) });
                control.addEventListener('input', () => this.utilization.set(line.benefitCode, control.value));
                return field(`utilization.${line.benefitCode}`, m('utilizationOf', { benefit: line.benefitName, observed: percent(line.utilization), source: line.utilizationSource }), control);
              }),
            ),
          )
        : null,
      h('button', { type: 'submit' }, m('simulate')),
    );
    show(this.place, h('h2', { id: 'simulation-heading' }, m('simTitle')), h('p', { class: 'hint' }, m('simHelp')), this.error ? errorBox(this.error) : null, form, this.answer ? this.result(this.answer) : null);
    if (this.error) placeProblems(form, problemsOf(this.error));
    for (const draw of this.draws) draw();
    this.draws = [];
  }

  private draws: Array<() => void> = [];

  private async simulate(): Promise<void> {
    this.error = null;
    const utilization = [...this.utilization.entries()].filter(([, value]) => value.trim() !== '').map(([benefitCode, value]) => ({ benefitCode, utilization: Number(value) }));
    try {
      const { bundleCostSimulation } = await request(ConsoleBundleCostSimulationDocument, {
        bundleVersionId: this.versionId,
        utilization: utilization.length ? utilization : null,
        pointsPerPeriod: this.points.trim() === '' ? null : Number(this.points),
      });
      if (this.answer?.bundleVersionId !== bundleCostSimulation.bundleVersionId) this.utilization.clear();
      this.answer = bundleCostSimulation;
    } catch (error) {
      this.error = error;
    }
    this.render();
    this.place.querySelector<HTMLElement>('[role=alert]')?.focus();
  }

  private result(sim: Simulated): HTMLElement {
    return h(
      'div',
      { class: 'simulation-result', 'aria-live': 'polite' },
      sim.plans.map((plan) => {
        const currency = plan.fee.currency;
        const costs = chart(
          {
            name: `bundleCost:${plan.planCode}`,
            x: { categories: [m('partnerCost'), m('pointsCost'), m('total'), m('fee')] },
            xLabel: m('costs'),
            yLabel: m('money', { currency }),
            series: [{ label: m('cost'), values: [plan.partnerCost.amount, plan.pointsCost.amount, plan.totalCost.amount, plan.fee.amount], kind: 'bars' }],
            format: (v) => money(v, currency, 0),
            description: m('planChartOf', { plan: plan.planCode, fee: money(plan.fee.amount, currency) }),
          },
          m('costs'),
        );
        this.draws.push(costs.draw);
        return h(
          'section',
          { class: 'plan-cost', 'data-plan': plan.planCode },
          h(
            'h3',
            {},
            m('plan', {
              plan: plan.planCode,
              period: plan.billingPeriod,
              fee: money(plan.fee.amount, currency),
              cost: money(plan.totalCost.amount, currency),
              ratio: percent(plan.costToFee),
              margin: money(plan.margin.amount, currency),
            }),
          ),
          costs.figure,
          table(
            [m('benefit'), m('partner'), m('unitsPerPeriod'), m('unitPrice'), m('utilization'), m('expectedUnits'), m('cost')],
            [
              ...plan.lines.map((l) => [
                h('span', {}, l.benefitName, ' ', h('code', {}, l.benefitCode)),
                l.partnerName,
                count(l.unitsPerPeriod),
                l.unitPrice ? money(l.unitPrice.amount, l.unitPrice.currency) : '—',
                `${percent(l.utilization)} (${l.utilizationSource})`,
                count(Number(l.expectedUnits.toFixed(2))),
                money(l.cost.amount, l.cost.currency),
              ]),
              [m('pointsCostLine', { points: count(plan.pointsPerPeriod), observed: count(plan.pointsObservedPeriods) }), '', '', '', '', '', money(plan.pointsCost.amount, plan.pointsCost.currency)],
              [h('strong', {}, m('total')), '', '', '', '', '', h('strong', {}, money(plan.totalCost.amount, plan.totalCost.currency))],
            ],
            m('plan', { plan: plan.planCode, period: plan.billingPeriod, fee: money(plan.fee.amount, currency), cost: money(plan.totalCost.amount, currency), ratio: percent(plan.costToFee), margin: money(plan.margin.amount, currency) }),
          ),
        );
      }),
    );
  }
}

/** The server's problems, and an unknown version as a problem of its field. */
function problemsOf(error: unknown): Problem[] {
  if (!(error instanceof ApiError)) return [];
  return error.errors.flatMap((e) => (e.code === 'NOT_FOUND' ? [{ field: 'bundleVersionId', message: e.message }] : e.problems));
}

export const pages: Page[] = [
  {
    route: 'partner-exit',
    nav: { order: 55, label: () => m('nav') },
    // The prices agreed with partners: not for analysts (the server refuses them anyway).
    offered: (viewer) => can(viewer, 'VIEW_FIGURES') && can(viewer, 'SETTLEMENT'),
    render: partnerExitPage,
  },
];
