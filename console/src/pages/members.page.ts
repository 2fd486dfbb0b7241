// Support's member pages: find a member (by member, membership or entitlement id, or sign-in
// subject), see what they see, and act for them: refund a membership, revoke one right, export
// their data, erase them. Every action is offered by the capability it needs (viewer `can`),
// confirms before it acts, then reloads the profile and moves focus to what happened. Every
// lookup and profile read is audited by the server, so the search's query is kept in this page's
// memory, not in the URL (nothing re-runs it when the hash changes).
import type { Page } from '../pages.js';
import { can, loadViewer, type Viewer } from '../viewer.js';
import { ApiError, request } from '../api.js';
import { h, saveFile, show, type Child } from '../dom.js';
import {
  ConsoleEraseMemberDocument,
  ConsoleMemberDataExportDocument,
  ConsoleMemberProfileDocument,
  ConsoleMemberSearchDocument,
  ConsoleMemberSegmentsDocument,
  ConsoleMembershipTimelineDocument,
  ConsoleMembershipRefundQuoteDocument,
  ConsoleRefundMembershipDocument,
  ConsoleRevokeEntitlementDocument,
  type ConsoleMemberProfileQuery,
  type ConsoleMemberSearchQuery,
  type ConsoleMemberSegmentsQuery,
  type ConsoleMembershipTimelineQuery,
  type ConsoleSupportEntitlementFragment,
  type RefundPolicy,
} from '@coalition-gateway/client';
import { formatDate, formatMoney, messages, t } from '../i18n.js';
import { errorBox, field, input, placeProblems, select, table } from '../ui.js';

const m = messages({
  en: {
    nav: 'Members',
    title: 'Find a member',
    query: 'Member id, membership id, entitlement id or sign-in subject',
    find: 'Find',
    hint: 'Every lookup is audited with its query.',
    found: '{count} member(s) found for “{query}”.',
    none: 'No member matches “{query}”.',
    'col.member': 'Member',
    'col.matchedBy': 'Matched by',
    'col.created': 'Member since',
    'col.erased': 'Erased',
    'col.plan': 'Plan / status',
    'col.tier': 'Tier',
    'col.points': 'Points',
    'col.rights': 'Rights',
    rights: '{active} active of {total} ({pending} pending, {suspended} suspended, {revoked} revoked, {expired} expired)',
    open: 'Open member {id}',
    noMembership: 'No paid membership',
    yes: 'Yes, {at}',
    no: 'No',
    back: 'Find another member',
    profileTitle: 'Member {id}',
    erasedBadge: 'Erased {at}',
    summary: 'Member since {created} · their clock: {now}{clock}',
    testClock: ' (test clock {id})',
    sees: 'What the member sees',
    membership: 'Membership',
    membershipLine: '{plan} · {status} · period {start} – {end}',
    entitlements: 'Their rights',
    noEntitlements: 'No rights to show.',
    'col.benefit': 'Benefit',
    'col.partner': 'Partner',
    'col.status': 'Status',
    'col.remaining': 'Remaining',
    'col.validUntil': 'Valid until',
    'col.source': 'Source',
    'col.actions': 'Actions',
    remaining: '{remaining} of {quota}',
    unlimited: 'unlimited',
    tier: 'Tier',
    tierLine: '{name} ({code}), held until {until}',
    forGood: 'for good',
    points: 'Points',
    balance: 'Balance: {balance}',
    history: 'Recent history',
    noHistory: 'No postings yet.',
    'col.at': 'When',
    'col.kind': 'Kind',
    'col.change': 'Change',
    'col.reason': 'Reason',
    memberships: 'Every membership',
    'col.membership': 'Membership',
    'col.period': 'Period',
    'col.policy': 'Refund policy',
    timeline: 'Timeline',
    timelineOf: 'Timeline of membership',
    showTimeline: 'Show timeline',
    noTimeline: 'Nothing happened to this membership yet.',
    'col.event': 'Event',
    'col.details': 'Details',
    allRights: 'Every right, every period ({count})',
    segments: 'Segments',
    stage: 'Lifecycle stage {stage}, RFM {rfm} (computed {at})',
    noScores: 'Not scored yet.',
    noSegments: 'In no segment now.',
    'col.segment': 'Segment',
    'col.entered': 'Entered',
    dataRequests: 'Data requests',
    revoke: 'Revoke',
    revokeLabel: 'Revoke {benefit}',
    revokeTitle: 'Revoke {benefit} ({id})',
    revokeHelp: 'The right is taken back now, here and at {partner}; its live tokens stop working. This cannot be undone.',
    reason: 'Reason (a ticket reference, what happened)',
    reasonMissing: 'Say why: the reason is audited.',
    revokeConfirm: 'Revoke this right',
    revoked: 'Revoked {benefit}: it is now {status}.',
    cancel: 'Cancel',
    refund: 'Refund…',
    refundLabel: 'Refund membership {id}',
    refundTitle: 'Refund membership {id}',
    refundHelp: 'Refunding ends the membership now and revokes its rights here and at the partners.',
    policy: 'Refund policy',
    planPolicy: 'The plan’s policy ({policy})',
    goodwill: '{policy} (goodwill)',
    quote: 'Show the refund amount',
    quoted: 'The refund would be {amount} under {policy}.',
    quotedAt: 'Worked out by the server at {at}; confirming refunds exactly this amount or nothing.',
    refundConfirm: 'Confirm refund of {amount}',
    refunded: 'Membership {id} refunded ({amount}): it is now {status}, ended {at}.',
    'policy.FULL': 'Full: everything paid for the period',
    'policy.PRO_RATA': 'Pro rata: the unused share of the period',
    'policy.PRO_RATA_MINUS_USED': 'Pro rata minus what was used this period',
    export: 'Export data…',
    exportTitle: 'Export the member’s data',
    exportHelp: 'Everything held about the member, as one JSON file. The export is audited.',
    exportConfirm: 'Download the export',
    exported: 'Downloaded {file} ({bytes} bytes, SHA-256 {sha}).',
    erase: 'Erase member…',
    eraseTitle: 'Erase member {id}',
    eraseHelp: 'Erasure ends live memberships without a refund, revokes every right and removes what identifies the member. It cannot be undone.',
    eraseType: 'Type ERASE to confirm',
    eraseMismatch: 'Type ERASE, in capitals, to confirm.',
    eraseConfirm: 'Erase this member',
    erased: 'Member erased at {at}: {memberships} membership(s) ended, {rights} right(s) revoked.',
    alreadyErased: 'The member had already been erased ({at}): nothing changed.',
  },
  'zh-CN': {
    nav: '会员',
    title: '查找会员',
    query: '会员 ID、会籍 ID、权益 ID 或登录主体（subject）',
    find: '查找',
    hint: '每次查找都会连同查询内容记入审计。',
    found: '“{query}”找到 {count} 位会员。',
    none: '没有会员匹配“{query}”。',
    'col.member': '会员',
    'col.matchedBy': '匹配方式',
    'col.created': '注册时间',
    'col.erased': '已删除',
    'col.plan': '方案 / 状态',
    'col.tier': '等级',
    'col.points': '积分',
    'col.rights': '权益',
    rights: '{total} 项中 {active} 项有效（待开通 {pending}，暂停 {suspended}，已收回 {revoked}，已过期 {expired}）',
    open: '打开会员 {id}',
    noMembership: '没有付费会籍',
    yes: '是，{at}',
    no: '否',
    back: '查找其他会员',
    profileTitle: '会员 {id}',
    erasedBadge: '已于 {at} 删除',
    summary: '注册时间 {created} · 会员时钟：{now}{clock}',
    testClock: '（测试时钟 {id}）',
    sees: '会员看到的内容',
    membership: '会籍',
    membershipLine: '{plan} · {status} · 周期 {start} – {end}',
    entitlements: '会员的权益',
    noEntitlements: '没有可显示的权益。',
    'col.benefit': '权益',
    'col.partner': '合作方',
    'col.status': '状态',
    'col.remaining': '剩余',
    'col.validUntil': '有效期至',
    'col.source': '来源',
    'col.actions': '操作',
    remaining: '{remaining} / {quota}',
    unlimited: '不限',
    tier: '等级',
    tierLine: '{name}（{code}），保级至 {until}',
    forGood: '长期',
    points: '积分',
    balance: '余额：{balance}',
    history: '最近记录',
    noHistory: '还没有积分记录。',
    'col.at': '时间',
    'col.kind': '类型',
    'col.change': '变动',
    'col.reason': '原因',
    memberships: '全部会籍',
    'col.membership': '会籍',
    'col.period': '周期',
    'col.policy': '退款规则',
    timeline: '时间线',
    timelineOf: '会籍的时间线',
    showTimeline: '显示时间线',
    noTimeline: '此会籍还没有任何记录。',
    'col.event': '事件',
    'col.details': '详情',
    allRights: '全部权益（所有周期，共 {count} 项）',
    segments: '人群',
    stage: '生命周期 {stage}，RFM {rfm}（计算于 {at}）',
    noScores: '尚未评分。',
    noSegments: '目前不在任何人群中。',
    'col.segment': '人群',
    'col.entered': '进入时间',
    dataRequests: '数据请求',
    revoke: '收回',
    revokeLabel: '收回 {benefit}',
    revokeTitle: '收回 {benefit}（{id}）',
    revokeHelp: '该权益将立即在本系统和 {partner} 处收回，其有效令牌随即失效。此操作无法撤销。',
    reason: '原因（工单号、经过）',
    reasonMissing: '请填写原因：原因会记入审计。',
    revokeConfirm: '收回此权益',
    revoked: '已收回 {benefit}：当前状态 {status}。',
    cancel: '取消',
    refund: '退款…',
    refundLabel: '为会籍 {id} 退款',
    refundTitle: '为会籍 {id} 退款',
    refundHelp: '退款会立即结束会籍，并在本系统和各合作方处收回其权益。',
    policy: '退款规则',
    planPolicy: '方案的规则（{policy}）',
    goodwill: '{policy}（善意退款）',
    quote: '显示退款金额',
    quoted: '按 {policy} 规则，将退款 {amount}。',
    quotedAt: '由服务器于 {at} 计算；确认后只会退这个金额，否则不做任何改变。',
    refundConfirm: '确认退款 {amount}',
    refunded: '会籍 {id} 已退款（{amount}）：当前状态 {status}，结束于 {at}。',
    'policy.FULL': '全额：本周期所付全部金额',
    'policy.PRO_RATA': '按比例：本周期未使用的部分',
    'policy.PRO_RATA_MINUS_USED': '按比例，减去本周期已使用的价值',
    export: '导出数据…',
    exportTitle: '导出会员数据',
    exportHelp: '关于该会员的全部数据，一个 JSON 文件。导出会记入审计。',
    exportConfirm: '下载导出文件',
    exported: '已下载 {file}（{bytes} 字节，SHA-256 {sha}）。',
    erase: '删除会员…',
    eraseTitle: '删除会员 {id}',
    eraseHelp: '删除会结束有效会籍（不退款）、收回全部权益并移除可识别会员的信息。此操作无法撤销。',
    eraseType: '输入 ERASE 以确认',
    eraseMismatch: '请输入大写的 ERASE 以确认。',
    eraseConfirm: '删除此会员',
    erased: '会员已于 {at} 删除：结束 {memberships} 个会籍，收回 {rights} 项权益。',
    alreadyErased: '该会员已于 {at} 删除：没有任何改变。',
  },
});

type Found = ConsoleMemberSearchQuery['memberLookup'][number];
type Profile = ConsoleMemberProfileQuery['memberProfile'];
type Membership = Profile['memberships'][number];
type Entitlement = ConsoleSupportEntitlementFragment;

/** The last search of this tab, so "back" shows it again without another (audited) lookup. */
let lastSearch: { query: string; found: Found[] } | null = null;

// ---- Search ----------------------------------------------------------------------------------

async function searchPage(main: HTMLElement): Promise<void> {
  const query = input({ name: 'query', required: true, autocomplete: 'off', spellcheck: 'false', value: lastSearch?.query ?? '', size: 48 });
  const results = h('div', { class: 'results' });
  const form = h(
    'form',
    {
      class: 'inline member-search',
      role: 'search',
      onsubmit: (event: Event) => {
        event.preventDefault();
        void search(query.value.trim(), results, form);
      },
    },
    field('query', m('query'), query),
    h('button', { type: 'submit' }, m('find')),
  );
  show(main, h('h1', {}, m('title')), h('p', { class: 'hint' }, m('hint')), form, results);
  if (lastSearch) showResults(results, lastSearch.query, lastSearch.found);
  query.focus();
}

async function search(query: string, results: HTMLElement, form: HTMLFormElement): Promise<void> {
  show(results, h('p', {}, t('common.loading')));
  try {
    const { memberLookup } = await request(ConsoleMemberSearchDocument, { query });
    lastSearch = { query, found: memberLookup };
    showResults(results, query, memberLookup);
    results.querySelector<HTMLElement>('[role=status]')?.focus();
  } catch (error) {
    show(results, errorBox(error));
    const problems = error instanceof ApiError ? error.errors.flatMap((e) => e.problems) : [];
    placeProblems(form, problems.map((p) => ({ ...p, field: 'query' })));
    results.querySelector<HTMLElement>('[role=alert]')?.focus();
  }
}

function showResults(results: HTMLElement, query: string, found: readonly Found[]): void {
  show(
    results,
    h('p', { role: 'status', tabindex: -1 }, found.length ? m('found', { count: found.length, query }) : m('none', { query })),
    found.length
      ? table(
          [m('col.member'), m('col.matchedBy'), m('col.created'), m('col.erased'), m('col.plan'), m('col.tier'), m('col.points'), m('col.rights')],
          found.map((f) => [
            h('a', { href: `#/members/${encodeURIComponent(f.id)}`, 'aria-label': m('open', { id: f.id }), 'data-member': f.id }, h('code', {}, f.id)),
            f.matchedBy.join(', '),
            formatDate(f.createdAt),
            f.erased ? m('yes', { at: formatDate(f.erasedAt) }) : m('no'),
            f.member.membership ? `${f.member.membership.plan.name} · ${f.member.membership.status}` : m('noMembership'),
            f.member.tier.code,
            String(f.member.points.balance),
            rights(f.entitlementCounts),
          ]),
        )
      : null,
  );
}

const rights = (c: Found['entitlementCounts']) =>
  m('rights', { active: c.active, total: c.total, pending: c.pendingProvision, suspended: c.suspended, revoked: c.revoked, expired: c.expired });

// ---- Profile ---------------------------------------------------------------------------------

type Action =
  | { kind: 'revoke'; entitlement: Entitlement }
  | { kind: 'refund'; membership: Membership; policy: RefundPolicy | null; quote: { amount: number; currency: string; at: string } | null }
  | { kind: 'export' }
  | { kind: 'erase' };

/** Whether a right can still be taken back (revoked and expired ones cannot). */
const revocable = (e: Entitlement) => e.status !== 'REVOKED' && e.status !== 'EXPIRED';
/** Whether a membership holds a payment a refund would give back. */
const refundable = (ms: Membership) => ms.status === 'ACTIVE' || ms.status === 'PAST_DUE';

class ProfileView {
  private profile: Profile | null = null;
  private segments: ConsoleMemberSegmentsQuery['memberSegments'] | Failure | null = null;
  private timeline: { membershipId: string; events: ConsoleMembershipTimelineQuery['membershipTimeline'] | null; error: unknown } | null = null;
  private loadError: unknown = null;
  private action: Action | null = null;
  private actionError: unknown = null;
  private notice: string | null = null;
  /** What to focus after the next render (a CSS selector inside main). */
  private focus: string | null = null;

  constructor(
    private readonly main: HTMLElement,
    private readonly memberId: string,
    private readonly viewer: Viewer,
  ) {}

  async load(): Promise<void> {
    show(this.main, backLink(), h('h1', {}, m('profileTitle', { id: this.memberId })), h('p', {}, t('common.loading')));
    try {
      this.profile = (await request(ConsoleMemberProfileDocument, { memberId: this.memberId })).memberProfile;
      this.loadError = null;
    } catch (error) {
      this.profile = null;
      this.loadError = error;
      return this.render();
    }
    // Segments and the timeline are other operations: a refusal of either shows in its own section.
    this.segments = await request(ConsoleMemberSegmentsDocument, { memberId: this.memberId }).then((r) => r.memberSegments, (error: unknown) => new Failure(error));
    const membershipId = this.timeline?.membershipId ?? this.profile.memberships[0]?.id;
    if (membershipId) await this.loadTimeline(membershipId, false);
    this.render();
  }

  private async loadTimeline(membershipId: string, render = true): Promise<void> {
    try {
      const { membershipTimeline } = await request(ConsoleMembershipTimelineDocument, { membershipId });
      this.timeline = { membershipId, events: membershipTimeline, error: null };
    } catch (error) {
      this.timeline = { membershipId, events: null, error };
    }
    if (render) {
      this.focus = '#timeline';
      this.render();
    }
  }

  private render(): void {
    const p = this.profile;
    if (!p) {
      show(this.main, backLink(), h('h1', {}, m('profileTitle', { id: this.memberId })), errorBox(this.loadError));
      this.main.querySelector<HTMLElement>('[role=alert]')?.focus();
      return;
    }
    show(
      this.main,
      backLink(),
      h('h1', {}, m('profileTitle', { id: p.id }), ' ', p.erased ? h('span', { class: 'badge status-canceled' }, m('erasedBadge', { at: formatDate(p.erasedAt) })) : null),
      h('p', { class: 'meta' }, m('summary', { created: formatDate(p.createdAt), now: formatDate(p.now), clock: p.testClockId ? m('testClock', { id: p.testClockId }) : '' })),
      this.notice ? h('p', { class: 'notice', role: 'status', tabindex: -1 }, this.notice) : null,
      this.seesSection(p),
      this.membershipsSection(p),
      this.timelineSection(p),
      this.allRightsSection(p),
      this.segmentsSection(),
      this.dataSection(p),
    );
    const target = this.focus ? this.main.querySelector<HTMLElement>(this.focus) : null;
    this.focus = null;
    target?.focus();
  }

  private seesSection(p: Profile): HTMLElement {
    const member = p.member;
    const ms = member.membership;
    return h(
      'section',
      { class: 'member-sees', 'aria-labelledby': 'sees' },
      h('h2', { id: 'sees' }, m('sees')),
      h('h3', {}, m('membership')),
      h(
        'p',
        { class: 'membership', 'data-membership': ms?.id ?? null },
        ms ? m('membershipLine', { plan: ms.plan.name, status: ms.status, start: formatDate(ms.currentPeriodStart), end: formatDate(ms.currentPeriodEnd) }) : m('noMembership'),
      ),
      h('h3', {}, m('entitlements')),
      member.entitlements.length ? this.entitlementTable(member.entitlements, 'sees-entitlements') : h('p', {}, m('noEntitlements')),
      this.action?.kind === 'revoke' && member.entitlements.some((e) => e.id === (this.action as { entitlement: Entitlement }).entitlement.id) ? this.revokeForm(this.action.entitlement) : null,
      h('div', { class: 'columns' }, this.tierBox(member.tier), this.pointsBox(member.points)),
    );
  }

  private entitlementTable(entitlements: readonly Entitlement[], className: string): HTMLTableElement {
    const mayRevoke = can(this.viewer, 'REVOKE');
    const tableEl = table(
      [m('col.benefit'), m('col.partner'), m('col.status'), m('col.remaining'), m('col.validUntil'), m('col.source'), ...(mayRevoke ? [m('col.actions')] : [])],
      entitlements.map((e) => [
        h('span', {}, e.benefit.name, ' ', h('code', {}, e.benefit.code)),
        e.benefit.partner.name,
        h('span', { class: 'badge' }, e.status),
        e.quota === null ? m('unlimited') : m('remaining', { remaining: e.remaining ?? 0, quota: e.quota }),
        formatDate(e.validUntil),
        e.sourceRef ? `${e.source} · ${e.sourceRef}` : e.source,
        ...(mayRevoke
          ? [
              revocable(e)
                ? h(
                    'button',
                    { type: 'button', class: 'secondary', 'data-revoke': e.id, 'aria-label': m('revokeLabel', { benefit: e.benefit.name }), onclick: () => this.open({ kind: 'revoke', entitlement: e }, '#action-reason') },
                    m('revoke'),
                  )
                : null,
            ]
          : []),
      ]),
    );
    tableEl.classList.add(className);
    // Rows carry their right's id and status, for whoever reads the page by machine (tests).
    tableEl.querySelectorAll('tbody tr').forEach((row, i) => {
      row.setAttribute('data-entitlement', entitlements[i]!.id);
      row.setAttribute('data-status', entitlements[i]!.status);
    });
    return tableEl;
  }

  private tierBox(tier: Profile['member']['tier']): HTMLElement {
    return h('section', { 'aria-labelledby': 'tier' }, h('h3', { id: 'tier' }, m('tier')), h('p', { class: 'tier' }, m('tierLine', { name: tier.name, code: tier.code, until: tier.heldUntil ? formatDate(tier.heldUntil) : m('forGood') })));
  }

  private pointsBox(points: Profile['member']['points']): HTMLElement {
    return h(
      'section',
      { 'aria-labelledby': 'points' },
      h('h3', { id: 'points' }, m('points')),
      h('p', { class: 'points-balance' }, m('balance', { balance: points.balance })),
      h('h4', {}, m('history')),
      points.history.length
        ? table(
            [m('col.at'), m('col.kind'), m('col.change'), m('col.reason')],
            points.history.map((entry) => [formatDate(entry.at), entry.kind, entry.change > 0 ? `+${entry.change}` : String(entry.change), entry.reason]),
          )
        : h('p', {}, m('noHistory')),
    );
  }

  private membershipsSection(p: Profile): HTMLElement {
    const mayRefund = can(this.viewer, 'REFUND');
    const action = this.action;
    return h(
      'section',
      { 'aria-labelledby': 'memberships' },
      h('h2', { id: 'memberships' }, m('memberships')),
      p.memberships.length
        ? table(
            [m('col.membership'), m('col.plan'), m('col.period'), m('col.policy'), m('col.actions')],
            p.memberships.map((ms) => [
              h('code', {}, ms.id),
              `${ms.plan.name} · ${ms.status}`,
              `${formatDate(ms.currentPeriodStart)} – ${formatDate(ms.endedAt ?? ms.currentPeriodEnd)}`,
              ms.plan.refundPolicy,
              h(
                'span',
                { class: 'buttons' },
                h('button', { type: 'button', class: 'secondary', 'data-timeline': ms.id, onclick: () => void this.loadTimeline(ms.id) }, m('showTimeline')),
                mayRefund && refundable(ms)
                  ? h(
                      'button',
                      { type: 'button', class: 'secondary', 'data-refund': ms.id, 'aria-label': m('refundLabel', { id: ms.id }), onclick: () => this.open({ kind: 'refund', membership: ms, policy: null, quote: null }, '#action-policy') },
                      m('refund'),
                    )
                  : null,
              ),
            ]),
          )
        : h('p', {}, m('noMembership')),
      action?.kind === 'refund' ? this.refundForm(action) : null,
    );
  }

  private timelineSection(p: Profile): HTMLElement | null {
    const tl = this.timeline;
    if (!tl || !p.memberships.length) return null;
    return h(
      'section',
      { 'aria-labelledby': 'timeline-title' },
      h('h2', { id: 'timeline-title' }, m('timeline')),
      h('p', { id: 'timeline', tabindex: -1 }, m('timelineOf'), ' ', h('code', {}, tl.membershipId)),
      tl.error
        ? errorBox(tl.error)
        : tl.events?.length
          ? table(
              [m('col.at'), m('col.event'), m('col.details')],
              tl.events.map((e) => [formatDate(e.at), h('span', { class: 'badge', 'data-event': e.type }, e.type), e.details ? h('code', { class: 'details' }, e.details) : '—']),
            )
          : h('p', {}, m('noTimeline')),
    );
  }

  private allRightsSection(p: Profile): HTMLElement {
    return h(
      'section',
      { 'aria-labelledby': 'all-rights' },
      h('h2', { id: 'all-rights' }, m('allRights', { count: p.entitlements.length })),
      h('p', {}, rights(p.entitlementCounts)),
      h('details', {}, h('summary', {}, m('allRights', { count: p.entitlements.length })), this.entitlementTable(p.entitlements, 'all-entitlements')),
      this.action?.kind === 'revoke' && !p.member.entitlements.some((e) => e.id === (this.action as { entitlement: Entitlement }).entitlement.id) ? this.revokeForm(this.action.entitlement) : null,
    );
  }

  private segmentsSection(): HTMLElement {
    const s = this.segments;
    let body: Child;
    if (s instanceof Failure) body = errorBox(s.error);
    else if (!s) body = h('p', {}, t('common.loading'));
    else {
      const seg = s;
      body = [
        h('p', {}, seg.scores ? m('stage', { stage: seg.scores.stage, rfm: seg.scores.rfmSegment, at: formatDate(seg.scores.computedAt) }) : m('noScores')),
        seg.segments.length
          ? table(
              [m('col.segment'), m('col.kind'), m('col.entered')],
              seg.segments.map((x) => [h('span', { 'data-segment': x.code }, x.name, ' ', h('code', {}, x.code)), x.kind, formatDate(x.enteredAt)]),
            )
          : h('p', {}, m('noSegments')),
      ];
    }
    return h('section', { 'aria-labelledby': 'segments' }, h('h2', { id: 'segments' }, m('segments')), body);
  }

  private dataSection(p: Profile): HTMLElement | null {
    const mayExport = can(this.viewer, 'EXPORT');
    const mayErase = can(this.viewer, 'ERASE') && !p.erased;
    if (!mayExport && !mayErase) return null;
    const action = this.action;
    return h(
      'section',
      { 'aria-labelledby': 'data-requests' },
      h('h2', { id: 'data-requests' }, m('dataRequests')),
      h(
        'p',
        { class: 'buttons' },
        mayExport ? h('button', { type: 'button', class: 'secondary', 'data-action': 'export', onclick: () => this.open({ kind: 'export' }, '#action-confirm') }, m('export')) : null,
        mayErase ? h('button', { type: 'button', class: 'secondary', 'data-action': 'erase', onclick: () => this.open({ kind: 'erase' }, '#action-reason') }, m('erase')) : null,
      ),
      action?.kind === 'export' ? this.exportForm() : null,
      action?.kind === 'erase' ? this.eraseForm(p) : null,
    );
  }

  // ---- Actions: each a form that says what will happen, and a confirm button -----------------

  private open(action: Action, focus: string): void {
    this.action = action;
    this.actionError = null;
    this.notice = null;
    this.focus = focus;
    this.render();
  }

  private close(): void {
    this.action = null;
    this.actionError = null;
    this.render();
  }

  /** A confirmation form: what it does, its fields, the code of a refusal next to its controls. */
  private actionForm(kind: string, title: string, help: Child, fields: Child, confirm: string, onconfirm: (form: HTMLFormElement) => void): HTMLFormElement {
    const form: HTMLFormElement = h(
      'form',
      { class: `action action-${kind}`, 'aria-labelledby': 'action-title', onsubmit: (event: Event) => (event.preventDefault(), onconfirm(form)) },
      h('h3', { id: 'action-title' }, title),
      h('p', {}, help),
      h('p', { class: 'problem', hidden: true }),
      fields,
      this.actionError ? errorBox(this.actionError) : null,
      h('p', { class: 'buttons' }, h('button', { type: 'submit', class: 'danger', id: 'action-confirm' }, confirm), h('button', { type: 'button', class: 'secondary', onclick: () => this.close() }, m('cancel'))),
    );
    form.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.close();
    });
    return form;
  }

  private reasonField(): HTMLElement {
    return field('reason', m('reason'), input({ id: 'action-reason', name: 'reason', autocomplete: 'off', maxlength: 500 }));
  }

  private revokeForm(e: Entitlement): HTMLFormElement {
    return this.actionForm('revoke', m('revokeTitle', { benefit: e.benefit.name, id: e.id }), m('revokeHelp', { partner: e.benefit.partner.name }), this.reasonField(), m('revokeConfirm'), (form) =>
      void this.act(form, async () => {
        const reason = requireReason(form);
        if (reason === null) return null;
        const { revokeEntitlement } = await request(ConsoleRevokeEntitlementDocument, { entitlementId: e.id, reason });
        return m('revoked', { benefit: e.benefit.name, status: revokeEntitlement.status });
      }),
    );
  }

  private refundForm(action: Extract<Action, { kind: 'refund' }>): HTMLFormElement {
    const ms = action.membership;
    const policy = select(
      [['', m('planPolicy', { policy: m(`policy.${ms.plan.refundPolicy}`) })], ...(['FULL', 'PRO_RATA', 'PRO_RATA_MINUS_USED'] as const).map((p) => [p, m('goodwill', { policy: m(`policy.${p}`) })] as const)],
      action.policy ?? '',
    );
    policy.id = 'action-policy';
    policy.name = 'policy';
    // Another policy is another amount: the quote shown must be asked for again.
    policy.addEventListener('change', () => {
      action.policy = (policy.value || null) as RefundPolicy | null;
      action.quote = null;
      this.actionError = null;
      this.focus = '#action-policy';
      this.render();
    });
    const policyName = action.policy ?? ms.plan.refundPolicy;
    const quote = action.quote;
    const form = this.actionForm(
      'refund',
      m('refundTitle', { id: ms.id }),
      m('refundHelp'),
      [
        field('policy', m('policy'), policy),
        quote
          ? h('div', { class: 'quote', id: 'quote', tabindex: -1, 'data-amount': quote.amount }, h('p', {}, h('strong', {}, m('quoted', { amount: formatMoney(quote.amount, quote.currency), policy: policyName }))), h('p', { class: 'hint' }, m('quotedAt', { at: formatDate(quote.at) })))
          : null,
      ],
      quote ? m('refundConfirm', { amount: formatMoney(quote.amount, quote.currency) }) : m('quote'),
      () =>
        void (quote
          ? this.act(form, async () => {
              const { refundMembership: done } = await request(ConsoleRefundMembershipDocument, { membershipId: ms.id, policy: action.policy, expectedAmount: quote.amount });
              return m('refunded', { id: ms.id, amount: formatMoney(quote.amount, quote.currency), status: done.status, at: formatDate(done.endedAt) });
            })
          : this.quoteRefund(action)),
    );
    // Until there is an amount, the button asks for it; it is no refund yet.
    if (!quote) form.querySelector('#action-confirm')!.className = '';
    return form;
  }

  /** The amount a refund would give back now (membershipRefundQuote); confirming sends it back, so what is refunded is what was shown. */
  private async quoteRefund(action: Extract<Action, { kind: 'refund' }>): Promise<void> {
    this.actionError = null;
    try {
      const { membershipRefundQuote: quote } = await request(ConsoleMembershipRefundQuoteDocument, { membershipId: action.membership.id, policy: action.policy });
      action.quote = { amount: quote.amount.amount, currency: quote.amount.currency, at: quote.at };
      this.focus = '#quote';
    } catch (error) {
      this.actionError = error;
      this.focus = '.action [role=alert]';
    }
    this.render();
  }

  private exportForm(): HTMLFormElement {
    const form = this.actionForm('export', m('exportTitle'), m('exportHelp'), null, m('exportConfirm'), () =>
      void this.act(form, async () => {
        const { memberDataExport: file } = await request(ConsoleMemberDataExportDocument, { memberId: this.memberId });
        saveFile(new Blob([file.json], { type: file.format }), file.fileName);
        return m('exported', { file: file.fileName, bytes: file.byteLength, sha: file.sha256.slice(0, 16) + '…' });
      }),
    );
    form.querySelector('#action-confirm')!.className = '';
    return form;
  }

  private eraseForm(p: Profile): HTMLFormElement {
    return this.actionForm(
      'erase',
      m('eraseTitle', { id: p.id }),
      m('eraseHelp'),
      [this.reasonField(), field('confirm', m('eraseType'), input({ name: 'confirm', autocomplete: 'off', spellcheck: 'false' }))],
      m('eraseConfirm'),
      (form) =>
        void this.act(form, async () => {
          const typed = form.querySelector<HTMLInputElement>('input[name=confirm]')!;
          const reason = requireReason(form);
          if (typed.value.trim() !== 'ERASE') {
            placeProblems(form, [...(reason === null ? [{ field: 'reason', message: m('reasonMissing') }] : []), { field: 'confirm', message: m('eraseMismatch') }]);
            typed.focus();
            return null;
          }
          if (reason === null) return null;
          const { eraseMember: done } = await request(ConsoleEraseMemberDocument, { memberId: p.id, reason });
          return done.alreadyErased ? m('alreadyErased', { at: formatDate(done.erasedAt) }) : m('erased', { at: formatDate(done.erasedAt), memberships: done.membershipsEnded, rights: done.rightsRevoked });
        }),
    );
  }

  /**
   * Runs a confirmed action: on success the profile is read again and the notice of what
   * happened takes focus; a refusal shows with its code inside the form, by its controls.
   * `run` returns null when the form itself found a problem (shown already).
   */
  private async act(form: HTMLFormElement, run: () => Promise<string | null>): Promise<void> {
    const buttons = [...form.querySelectorAll('button')];
    buttons.forEach((b) => (b.disabled = true));
    try {
      const notice = await run();
      if (notice === null) return buttons.forEach((b) => (b.disabled = false));
      await this.finish(notice);
    } catch (error) {
      this.actionError = error;
      const changed = quoteOf(error);
      if (changed && this.action?.kind === 'refund') this.action.quote = { ...changed, at: new Date().toISOString() };
      this.focus = '.action [role=alert]';
      this.render();
      const problems = error instanceof ApiError ? error.errors.flatMap((e) => e.problems) : [];
      const shown = this.main.querySelector<HTMLElement>('form.action');
      if (shown && problems.length) placeProblems(shown, problems);
    }
  }

  private async finish(notice: string): Promise<void> {
    this.action = null;
    this.actionError = null;
    await this.load();
    this.notice = notice;
    this.focus = '.notice';
    this.render();
  }
}

class Failure {
  constructor(readonly error: unknown) {}
}

/** The new amount a QUOTE_CHANGED refusal carries. */
function quoteOf(error: unknown): { amount: number; currency: string } | null {
  if (!(error instanceof ApiError)) return null;
  const changed = error.errors.find((e) => e.code === 'QUOTE_CHANGED');
  const amount = changed?.extensions['amount'] as { amount?: unknown; currency?: unknown } | undefined;
  return typeof amount?.amount === 'number' && typeof amount.currency === 'string' ? { amount: amount.amount, currency: amount.currency } : null;
}

/** The form's reason, or null (its problem shown at the field) when it is empty. */
function requireReason(form: HTMLFormElement): string | null {
  const reason = form.querySelector<HTMLInputElement>('input[name=reason]')!;
  if (reason.value.trim()) return reason.value.trim();
  placeProblems(form, [{ field: 'reason', message: m('reasonMissing') }]);
  reason.focus();
  return null;
}

const backLink = () => h('p', {}, h('a', { href: '#/members' }, '← ', m('back')));

export const pages: Page[] = [
  {
    route: 'members',
    nav: { order: 60, label: () => m('nav') },
    offered: (viewer) => can(viewer, 'LOOK_UP_MEMBERS'),
    render: async (main, rest) => (rest[0] ? new ProfileView(main, rest[0], await loadViewer()).load() : searchPage(main)),
  },
];
