// Member-only campaigns and member days: what each offers, to whom, and what it granted so far;
// a new one (createCampaign), starting and stopping one (setCampaignActive); the segments a
// campaign may target, read-only.
import type { Page } from '../pages.js';
import { can, loadViewer } from '../viewer.js';
import { ApiError, request } from '../api.js';
import { h, show, type Child } from '../dom.js';
import {
  ConsoleCampaignsDocument,
  ConsoleCreateCampaignDocument,
  ConsoleSegmentsDocument,
  ConsoleSetCampaignActiveDocument,
  type CampaignInput,
  type CampaignKind,
  type ConsoleCampaignFragment,
} from '@coalition-gateway/client';
import { formatDate, messages, t } from '../i18n.js';
import { errorBox, field, input, placeProblems, select, table } from '../ui.js';

const m = messages({
  en: {
    nav: 'Campaigns',
    title: 'Campaigns and member days',
    new: 'New campaign',
    newTitle: 'New campaign',
    back: 'All campaigns',
    empty: 'No campaigns yet.',
    'col.campaign': 'Campaign',
    'col.kind': 'Kind',
    'col.when': 'When',
    'col.for': 'For',
    'col.granted': 'Granted so far',
    'col.status': 'Status',
    when: '{from} – {to}',
    monthly: 'day {day} of each month',
    forTier: '{tier} and above',
    forSegments: 'segments {segments}',
    inChannels: 'channels {channels}',
    granted: '{points} points, {rights} rights, {members} members reached',
    active: 'Running',
    stopped: 'Stopped',
    stop: 'Stop',
    start: 'Start',
    stopLabel: 'Stop {code}',
    startLabel: 'Start {code}',
    stoppedDone: '{code} stopped: what it granted stays.',
    startedDone: '{code} started.',
    history: 'Audit trail',
    historyLabel: 'Audit trail of {code}',
    created: 'Campaign {code} created.',
    // The form
    code: 'Code (MEMBER_DAY_18, SPRING_DOUBLE, …)',
    names: 'Name',
    offers: 'What members are told',
    'text.en': 'English',
    'text.zhCN': 'Chinese',
    kind: 'Kind',
    POINTS_MULTIPLIER: 'Points multiplier',
    BONUS_POINTS: 'Bonus points',
    EXTRA_BENEFIT: 'Extra benefit',
    window: 'When it runs',
    startsAt: 'Starts at',
    endsAt: 'Ends at',
    monthlyDay: 'Member day: day of each month, 1-28 (empty: every day of the window)',
    target: 'Who it is for',
    minTier: 'Lowest tier (empty: everyone)',
    segments: 'Segments, comma-separated (empty: no segment needed)',
    channels: 'Channels, comma-separated (empty: all)',
    points: 'Points',
    multiplierPermille: 'Multiplier in thousandths (2000: double points)',
    bonusPoints: 'Bonus points per purchase',
    minSpend: 'Least purchase for the bonus (minor units)',
    budgetPoints: 'Points it may grant in all (optional)',
    perMemberCap: 'Points one member may get in all (optional)',
    benefit: 'The right it grants',
    benefitCode: 'Benefit code',
    benefitQuota: 'Uses of each right (empty: 1; empty for ACCESS)',
    budgetGrants: 'Rights it may grant in all (optional)',
    save: 'Create campaign',
    segmentsTitle: 'Segments to target',
    segmentsHelp: 'A campaign for segments reaches a member in any of them, as of their last computation.',
    'seg.code': 'Code',
    'seg.kind': 'Kind',
    'seg.name': 'Segment',
    'seg.members': 'Members now',
    'seg.computedAt': 'Computed',
  },
  'zh-CN': {
    nav: '营销活动',
    title: '营销活动与会员日',
    new: '新建活动',
    newTitle: '新建活动',
    back: '全部活动',
    empty: '还没有活动。',
    'col.campaign': '活动',
    'col.kind': '类型',
    'col.when': '时间',
    'col.for': '面向',
    'col.granted': '已发放',
    'col.status': '状态',
    when: '{from} – {to}',
    monthly: '每月 {day} 日',
    forTier: '{tier} 及以上',
    forSegments: '人群 {segments}',
    inChannels: '渠道 {channels}',
    granted: '{points} 积分，{rights} 项权益，覆盖 {members} 位会员',
    active: '进行中',
    stopped: '已停止',
    stop: '停止',
    start: '启动',
    stopLabel: '停止 {code}',
    startLabel: '启动 {code}',
    stoppedDone: '{code} 已停止：已发放的保留。',
    startedDone: '{code} 已启动。',
    history: '审计记录',
    historyLabel: '{code} 的审计记录',
    created: '已创建活动 {code}。',
    code: '代码（MEMBER_DAY_18、SPRING_DOUBLE 等）',
    names: '名称',
    offers: '告知会员的内容',
    'text.en': '英文',
    'text.zhCN': '中文',
    kind: '类型',
    POINTS_MULTIPLIER: '积分倍数',
    BONUS_POINTS: '奖励积分',
    EXTRA_BENEFIT: '额外权益',
    window: '活动时间',
    startsAt: '开始时间',
    endsAt: '结束时间',
    monthlyDay: '会员日：每月第几日，1-28（留空：活动期间每天）',
    target: '面向会员',
    minTier: '最低等级（留空：全部会员）',
    segments: '人群，逗号分隔（留空：不限人群）',
    channels: '渠道，逗号分隔（留空：全部）',
    points: '积分',
    multiplierPermille: '倍数，千分制（2000：双倍积分）',
    bonusPoints: '每笔消费奖励积分',
    minSpend: '获得奖励的最低消费（最小货币单位）',
    budgetPoints: '积分总预算（可选）',
    perMemberCap: '每位会员积分上限（可选）',
    benefit: '发放的权益',
    benefitCode: '权益代码',
    benefitQuota: '每项权益次数（留空：1；ACCESS 留空）',
    budgetGrants: '权益发放总数（可选）',
    save: '创建活动',
    segmentsTitle: '可选人群',
    segmentsHelp: '面向人群的活动覆盖任一人群中的会员，以其最近一次计算为准。',
    'seg.code': '代码',
    'seg.kind': '类型',
    'seg.name': '人群',
    'seg.members': '当前会员数',
    'seg.computedAt': '计算时间',
  },
});

const KINDS: readonly CampaignKind[] = ['POINTS_MULTIPLIER', 'BONUS_POINTS', 'EXTRA_BENEFIT'];

async function campaignsPage(main: HTMLElement, notice: Child = null, focusCode?: string): Promise<void> {
  const viewer = await loadViewer();
  const configure = can(viewer, 'CONFIGURE');
  const audit = can(viewer, 'AUDIT');
  if (!notice) show(main, h('h1', {}, m('title')), h('p', {}, t('common.loading')));
  let error: unknown = null;
  let campaigns: readonly ConsoleCampaignFragment[] = [];
  try {
    campaigns = (await request(ConsoleCampaignsDocument, {})).campaigns;
  } catch (e) {
    error = e;
  }
  const toggle = async (c: ConsoleCampaignFragment) => {
    try {
      const { setCampaignActive: saved } = await request(ConsoleSetCampaignActiveDocument, { code: c.code, active: !c.active });
      await campaignsPage(main, h('p', { class: 'notice', role: 'status', tabindex: -1 }, m(saved.active ? 'startedDone' : 'stoppedDone', { code: saved.code })), saved.code);
    } catch (e) {
      const box = errorBox(e);
      main.querySelector('.error')?.remove();
      main.querySelector('h1')!.after(box);
      box.focus();
    }
  };
  show(
    main,
    h('h1', {}, m('title')),
    notice,
    error ? errorBox(error) : null,
    configure ? h('p', {}, h('a', { href: '#/campaigns/new', class: 'button' }, m('new'))) : null,
    error
      ? null
      : campaigns.length
        ? table(
            [m('col.campaign'), m('col.kind'), m('col.when'), m('col.for'), m('col.granted'), m('col.status')],
            campaigns.map((c) => [
              h('span', { 'data-campaign': c.code }, h('strong', {}, c.name), ' ', h('code', {}, c.code), h('br'), h('span', { class: 'hint' }, c.offer)),
              kindLabel(c),
              h('span', {}, m('when', { from: formatDate(c.startsAt), to: formatDate(c.endsAt) }), c.monthlyDay ? [h('br'), m('monthly', { day: c.monthlyDay })] : null),
              [m('forTier', { tier: c.minTier }), c.segments?.length ? `, ${m('forSegments', { segments: c.segments.join(', ') })}` : '', c.channels?.length ? `, ${m('inChannels', { channels: c.channels.join(', ') })}` : ''].join(''),
              m('granted', { points: c.pointsGranted, rights: c.rightsGranted, members: c.membersReached }),
              h(
                'span',
                { class: 'status-cell' },
                h('span', { class: `badge ${c.active ? 'status-published' : 'status-canceled'}` }, c.active ? m('active') : m('stopped')),
                configure
                  ? h(
                      'button',
                      { type: 'button', class: c.active ? 'danger' : 'secondary', 'data-toggle': c.code, 'aria-label': m(c.active ? 'stopLabel' : 'startLabel', { code: c.code }), onclick: () => void toggle(c) },
                      c.active ? m('stop') : m('start'),
                    )
                  : null,
                // Who created, started and stopped it (campaign.create / .activate / .deactivate), for who reads the audit trail.
                audit ? [' ', h('a', { href: auditHref(c.code), 'aria-label': m('historyLabel', { code: c.code }) }, m('history'))] : null,
              ),
            ]),
          )
        : h('p', {}, m('empty')),
  );
  // After a start or stop: the notice is read out; the keyboard stays on that campaign's button.
  if (notice) {
    main.querySelector<HTMLElement>('[role=status]')?.focus();
    if (focusCode) main.querySelector<HTMLElement>(`[data-toggle="${CSS.escape(focusCode)}"]`)?.focus();
  }
}

function kindLabel(c: ConsoleCampaignFragment): string {
  const label = m(c.kind);
  if (c.kind === 'POINTS_MULTIPLIER' && c.multiplierPermille) return `${label} ×${c.multiplierPermille / 1000}`;
  if (c.kind === 'BONUS_POINTS' && c.bonusPoints) return `${label} +${c.bonusPoints}`;
  if (c.kind === 'EXTRA_BENEFIT' && c.benefitCode) return `${label}: ${c.benefitCode}${c.benefitQuota ? ` ×${c.benefitQuota}` : ''}`;
  return label;
}

/** Which fieldset of the form each kind fills in (the others are hidden and not sent). */
const GROUP: Record<CampaignKind, 'points' | 'benefit'> = { POINTS_MULTIPLIER: 'points', BONUS_POINTS: 'points', EXTRA_BENEFIT: 'benefit' };
const KIND_FIELDS: Record<CampaignKind, readonly string[]> = {
  POINTS_MULTIPLIER: ['multiplierPermille', 'channels', 'budgetPoints', 'perMemberCap'],
  BONUS_POINTS: ['bonusPoints', 'minSpend', 'channels', 'budgetPoints', 'perMemberCap'],
  EXTRA_BENEFIT: ['benefitCode', 'benefitQuota', 'budgetGrants'],
};

async function newCampaignPage(main: HTMLElement): Promise<void> {
  const values: Record<string, string> = { kind: 'POINTS_MULTIPLIER' };
  const text = (name: string, props: Record<string, string | number | boolean> = {}) => {
    const el = input({ name, ...props });
    el.addEventListener('input', () => (values[name] = el.value));
    return el;
  };
  const num = (name: string) => text(name, { type: 'number', step: 1, inputmode: 'numeric' });
  const when = (name: string) => text(name, { type: 'datetime-local', required: true });
  const kind = select(KINDS.map((k) => [k, m(k)] as const), values.kind!);
  kind.name = 'kind';
  const pair = (prefix: 'name' | 'offer', legend: string) =>
    h(
      'fieldset',
      { 'data-field': prefix },
      h('legend', {}, legend),
      h('p', { class: 'problem', hidden: true }),
      h('div', { class: 'grid' }, field(`${prefix}.en`, m('text.en'), text(`${prefix}.en`, { required: true })), field(`${prefix}.zhCN`, m('text.zhCN'), text(`${prefix}.zhCN`, { required: true }))),
    );
  const group = (name: 'points' | 'benefit', legend: string, ...fields: HTMLElement[]) =>
    h('fieldset', { 'data-group': name }, h('legend', {}, legend), h('p', { class: 'problem', hidden: true }), h('div', { class: 'grid' }, fields));
  const status = h('div');
  const form = h(
    'form',
    { class: 'campaign', 'data-problems': true, onsubmit: (event: Event) => (event.preventDefault(), void save()) },
    h('p', { class: 'problem', hidden: true }),
    field('code', m('code'), text('code', { required: true, autocomplete: 'off', spellcheck: 'false' })),
    pair('name', m('names')),
    pair('offer', m('offers')),
    field('kind', m('kind'), kind),
    h(
      'fieldset',
      {},
      h('legend', {}, m('window')),
      h('div', { class: 'grid' }, field('startsAt', m('startsAt'), when('startsAt')), field('endsAt', m('endsAt'), when('endsAt')), field('monthlyDay', m('monthlyDay'), num('monthlyDay'))),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, m('target')),
      h('div', { class: 'grid' }, field('minTier', m('minTier'), text('minTier')), field('segments', m('segments'), text('segments'))),
    ),
    group(
      'points',
      m('points'),
      field('multiplierPermille', m('multiplierPermille'), num('multiplierPermille')),
      field('bonusPoints', m('bonusPoints'), num('bonusPoints')),
      field('minSpend', m('minSpend'), num('minSpend')),
      field('channels', m('channels'), text('channels')),
      field('budgetPoints', m('budgetPoints'), num('budgetPoints')),
      field('perMemberCap', m('perMemberCap'), num('perMemberCap')),
    ),
    group('benefit', m('benefit'), field('benefitCode', m('benefitCode'), text('benefitCode')), field('benefitQuota', m('benefitQuota'), num('benefitQuota')), field('budgetGrants', m('budgetGrants'), num('budgetGrants'))),
    h('p', {}, h('button', { type: 'submit' }, m('save'))),
  );
  // Only what the kind takes is shown (and sent): the server refuses the other kinds' fields.
  const showKind = () => {
    values.kind = kind.value;
    const k = kind.value as CampaignKind;
    for (const set of form.querySelectorAll<HTMLElement>('[data-group]')) set.hidden = set.dataset.group !== GROUP[k];
    for (const f of form.querySelectorAll<HTMLElement>('[data-group] .field')) f.hidden = !KIND_FIELDS[k].includes(f.dataset.field!);
  };
  kind.addEventListener('change', showKind);
  showKind();

  const toInput = (): CampaignInput => {
    const v = (name: string) => (values[name] ?? '').trim();
    const int = (name: string) => (v(name) === '' ? null : Number(v(name)));
    const list = (name: string) => {
      const items = v(name).split(/[,，\s]+/).filter(Boolean);
      return items.length ? items : null;
    };
    const k = kind.value as CampaignKind;
    const sent = (name: string) => KIND_FIELDS[k].includes(name);
    const instant = (name: string) => (v(name) ? new Date(v(name)).toISOString() : '');
    return {
      code: v('code'),
      name: { en: v('name.en'), zhCN: v('name.zhCN') },
      offer: { en: v('offer.en'), zhCN: v('offer.zhCN') },
      kind: k,
      startsAt: instant('startsAt'),
      endsAt: instant('endsAt'),
      monthlyDay: int('monthlyDay'),
      minTier: v('minTier') || null,
      segments: list('segments'),
      channels: sent('channels') ? list('channels') : null,
      multiplierPermille: sent('multiplierPermille') ? int('multiplierPermille') : null,
      bonusPoints: sent('bonusPoints') ? int('bonusPoints') : null,
      minSpend: sent('minSpend') ? int('minSpend') : null,
      budgetPoints: sent('budgetPoints') ? int('budgetPoints') : null,
      perMemberCap: sent('perMemberCap') ? int('perMemberCap') : null,
      benefitCode: sent('benefitCode') ? v('benefitCode') || null : null,
      benefitQuota: sent('benefitQuota') ? int('benefitQuota') : null,
      budgetGrants: sent('budgetGrants') ? int('budgetGrants') : null,
    };
  };

  const save = async () => {
    show(status);
    try {
      const { createCampaign: created } = await request(ConsoleCreateCampaignDocument, { input: toInput() });
      history.replaceState(null, '', '#/campaigns');
      await campaignsPage(main, h('p', { class: 'notice', role: 'status', tabindex: -1 }, m('created', { code: created.code })), created.code);
    } catch (error) {
      show(status, errorBox(error));
      placeProblems(form, error instanceof ApiError ? error.errors.flatMap((e) => e.problems) : []);
      status.querySelector<HTMLElement>('[role=alert]')?.focus();
    }
  };

  show(main, h('p', {}, h('a', { href: '#/campaigns' }, '← ', m('back'))), h('h1', {}, m('newTitle')), status, form, await segmentsSection());
}

/** The segments a campaign may target, read-only (the server's refusal in their place when the caller may not read them). */
async function segmentsSection(): Promise<HTMLElement> {
  const section = h('section', { class: 'segments', 'aria-labelledby': 'segments-heading' }, h('h2', { id: 'segments-heading' }, m('segmentsTitle')));
  try {
    const { segments } = await request(ConsoleSegmentsDocument, {});
    section.append(
      h('p', { class: 'hint' }, m('segmentsHelp')),
      table(
        [m('seg.code'), m('seg.kind'), m('seg.name'), m('seg.members'), m('seg.computedAt')],
        segments.map((s) => [h('code', {}, s.code), s.kind, h('span', {}, s.name, h('br'), h('span', { class: 'hint' }, s.description)), String(s.members), formatDate(s.computedAt)]),
      ),
    );
  } catch (error) {
    section.append(errorBox(error));
  }
  return section;
}

export const pages: Page[] = [
  {
    route: 'campaigns',
    nav: { order: 40, label: () => m('nav') },
    offered: (viewer) => can(viewer, 'CONFIGURE'),
    render: (main, rest) => (rest[0] === 'new' ? newCampaignPage(main) : campaignsPage(main)),
  },
];

const auditHref = (code: string) => `#/audit/${encodeURIComponent(new URLSearchParams({ subject: code, action: 'campaign.' }).toString())}`;
