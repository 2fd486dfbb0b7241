// The partner portal's redemptions: the partner's own, newest first, filtered by period and
// benefit, a page at a time ("Show more" continues after the last cursor); a standing redemption
// can be voided with a reason while the server's window allows (VOID_WINDOW_CLOSED otherwise,
// shown next to it).
import type { Page } from '../pages.js';
import { request } from '../api.js';
import { h, show } from '../dom.js';
import {
  ConsolePortalBenefitsDocument,
  ConsolePortalRedemptionsDocument,
  ConsolePortalVoidRedemptionDocument,
  type ConsolePortalRedemptionFragment,
} from '@coalition-gateway/client';
import { formatDate, messages, t } from '../i18n.js';
import { errorBox, field, input, select } from '../ui.js';
import { endOf, forPartners, showFailure, signedOutIfKeyStopped, startOf, timeZoneNote } from './portal.js';

const m = messages({
  en: {
    nav: 'Redemptions',
    title: 'Redemptions',
    intro: 'What members redeemed at your tills, newest first. A redemption can be voided shortly after it was made (15 minutes unless agreed otherwise): its units go back to the member.',
    filters: 'Filter',
    from: 'From (first day, optional)',
    to: 'To (last day, optional)',
    benefit: 'Benefit',
    allBenefits: 'All benefits',
    apply: 'Show',
    empty: 'No redemptions match.',
    count: '{count} shown, newest first.',
    more: 'Show more',
    'col.at': 'Redeemed',
    'col.benefit': 'Benefit',
    'col.units': 'Units',
    'col.member': 'Member (your pseudonym)',
    'col.status': 'Status',
    'col.actions': 'Actions',
    standing: 'Stands',
    voided: 'Voided {at}: {reason}',
    void: 'Void',
    voidLabel: 'Void the redemption of {at}',
    reason: 'Reason for voiding',
    confirm: 'Void it',
    keep: 'Keep it',
    done: 'Voided: {units} unit(s) of {benefit} went back to the member.',
  },
  'zh-CN': {
    nav: '核销记录',
    title: '核销记录',
    intro: '会员在您门店的核销，最新的在前。核销后不久（除另有约定外为 15 分钟）可以撤销：次数退回给会员。',
    filters: '筛选',
    from: '从（起始日，可选）',
    to: '到（结束日，可选）',
    benefit: '权益',
    allBenefits: '全部权益',
    apply: '显示',
    empty: '没有符合条件的核销。',
    count: '已显示 {count} 条，最新的在前。',
    more: '显示更多',
    'col.at': '核销时间',
    'col.benefit': '权益',
    'col.units': '次数',
    'col.member': '会员（您看到的化名）',
    'col.status': '状态',
    'col.actions': '操作',
    standing: '有效',
    voided: '已于 {at} 撤销：{reason}',
    void: '撤销',
    voidLabel: '撤销 {at} 的核销',
    reason: '撤销原因',
    confirm: '确认撤销',
    keep: '保留',
    done: '已撤销：{benefit} 的 {units} 次已退回给会员。',
  },
});

const PAGE = 20;
type Redemption = ConsolePortalRedemptionFragment;

async function redemptionsPage(main: HTMLElement): Promise<void> {
  const from = input({ type: 'date', name: 'from' });
  const to = input({ type: 'date', name: 'to' });
  const benefit = select([['', m('allBenefits')]], '');
  const results = h('div', { class: 'portal-results', 'aria-live': 'polite' });
  show(
    main,
    h('h1', {}, m('title')),
    h('p', {}, m('intro')),
    h(
      'form',
      {
        class: 'portal-filters',
        role: 'search',
        onsubmit: (event: Event) => {
          event.preventDefault();
          void list(main, results, { from: from.value, to: to.value, benefitCode: benefit.value }, true);
        },
      },
      h(
        'fieldset',
        {},
        h('legend', {}, m('filters')),
        h('div', { class: 'grid' }, field('from', m('from'), from), field('to', m('to'), to), field('benefitCode', m('benefit'), benefit)),
        timeZoneNote(),
        h('p', {}, h('button', { type: 'submit' }, m('apply'))),
      ),
    ),
    results,
  );
  // The benefit filter offers the partner's own benefits; the list does not wait for them.
  void request(ConsolePortalBenefitsDocument, {})
    .then(({ partnerBenefits }) => benefit.append(...partnerBenefits.map((b) => h('option', { value: b.code }, `${b.name} (${b.code})`))))
    .catch(() => undefined);
  await list(main, results, { from: '', to: '', benefitCode: '' }, false);
}

interface Filters {
  from: string;
  to: string;
  benefitCode: string;
}

/** Lists the first page for `filters`; "Show more" appends the next one. */
async function list(main: HTMLElement, results: HTMLElement, filters: Filters, focus: boolean): Promise<void> {
  show(results, h('p', {}, t('common.loading')));
  const rows: Redemption[] = [];
  let after: string | null = null;
  const tbody = h('tbody');
  const status = h('p', { tabindex: -1 });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, m('more'));
  const next = async (): Promise<boolean> => {
    try {
      const { partnerRedemptions } = await request(ConsolePortalRedemptionsDocument, {
        first: PAGE,
        after,
        from: filters.from ? startOf(filters.from) : null,
        to: filters.to ? endOf(filters.to) : null,
        benefitCode: filters.benefitCode || null,
      });
      const page = partnerRedemptions.edges.map((e) => e.node);
      rows.push(...page);
      tbody.append(...page.map((r) => row(main, r)));
      after = partnerRedemptions.pageInfo.endCursor;
      more.hidden = !partnerRedemptions.pageInfo.hasNextPage;
      status.textContent = rows.length ? m('count', { count: rows.length }) : m('empty');
      return true;
    } catch (error) {
      showFailure(main, results, error);
      return false;
    }
  };
  more.addEventListener('click', () => {
    const first = rows.length;
    void next().then((ok) => ok && tbody.rows[first]?.querySelector<HTMLElement>('td')?.focus());
  });
  if (!(await next())) return;
  const headers = [m('col.at'), m('col.benefit'), m('col.units'), m('col.member'), m('col.status'), m('col.actions')];
  show(results, status, h('table', { class: 'portal-redemptions' }, h('thead', {}, h('tr', {}, headers.map((text) => h('th', { scope: 'col' }, text)))), tbody), h('p', {}, more));
  if (focus) status.focus();
}

function row(main: HTMLElement, r: Redemption): HTMLTableRowElement {
  const actions = h('td', { class: 'portal-actions' });
  const tr = h(
    'tr',
    { 'data-redemption': r.id },
    h('td', { tabindex: -1 }, h('time', { datetime: r.createdAt }, formatDate(r.createdAt))),
    h('td', {}, r.benefit.name, ' ', h('code', {}, r.benefit.code)),
    h('td', {}, String(r.units)),
    h('td', {}, h('code', { class: 'pseudonym' }, r.memberPseudonym)),
    h('td', {}, r.voided ? h('span', { class: 'badge status-canceled' }, m('voided', { at: formatDate(r.voidedAt), reason: r.voidReason ?? '' })) : h('span', { class: 'badge status-published' }, m('standing'))),
    actions,
  );
  const idle = () => show(actions, r.voided ? null : h('button', { type: 'button', class: 'secondary', 'aria-label': m('voidLabel', { at: formatDate(r.createdAt) }), onclick: ask }, m('void')));
  const ask = () => {
    const reason = input({ name: 'reason', required: true, maxlength: 500, autocomplete: 'off' });
    const outcome = h('div');
    show(
      actions,
      h(
        'form',
        {
          class: 'portal-void',
          onsubmit: async (event: Event) => {
            event.preventDefault();
            try {
              const { voidRedemption } = await request(ConsolePortalVoidRedemptionDocument, { redemptionId: r.id, reason: reason.value });
              const replaced = row(main, voidRedemption);
              tr.replaceWith(replaced);
              const done = h('p', { class: 'notice', role: 'status', tabindex: -1 }, m('done', { units: voidRedemption.units, benefit: voidRedemption.benefit.name }));
              replaced.querySelector('td.portal-actions')!.append(done);
              done.focus();
            } catch (error) {
              if (signedOutIfKeyStopped(main, error)) return;
              show(outcome, errorBox(error));
              outcome.querySelector<HTMLElement>('[role=alert]')?.focus();
            }
          },
        },
        field('reason', m('reason'), reason),
        h('p', { class: 'buttons' }, h('button', { type: 'submit', class: 'danger' }, m('confirm')), h('button', { type: 'button', class: 'secondary', onclick: () => (idle(), actions.querySelector('button')?.focus()) }, m('keep'))),
        outcome,
      ),
    );
    reason.focus();
  };
  idle();
  return tr;
}

export const pages: Page[] = [{ route: 'portal-redemptions', nav: { order: 11, label: () => m('nav') }, offered: forPartners, render: (main) => redemptionsPage(main) }];
