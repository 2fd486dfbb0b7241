// Partners of the coalition and the point prices agreed with them: the list, a new partner, and
// changing one's name and prices (createPartner / updatePartner, each audited with before and after).
import type { Page } from '../pages.js';
import { can } from '../viewer.js';
import { ApiError, request } from '../api.js';
import { h, show, type Child } from '../dom.js';
import {
  ConsoleCreatePartnerDocument,
  ConsolePartnerDetailsDocument,
  ConsolePartnersDocument,
  ConsoleUpdatePartnerDocument,
  type ConsolePartnerTermsFragment,
  type PartnerInput,
} from '@coalition-gateway/client';
import { formatDate, formatMoney, messages, t } from '../i18n.js';
import { errorBox, field, input, placeProblems, table } from '../ui.js';

const m = messages({
  en: {
    nav: 'Partners',
    title: 'Partners',
    new: 'New partner',
    newTitle: 'New partner',
    editTitle: 'Partner {id}',
    back: 'All partners',
    empty: 'No partners yet.',
    'col.id': 'Id',
    'col.name': 'Name',
    'col.actions': 'Actions',
    edit: 'Edit {id}',
    editLink: 'Edit',
    id: 'Id (2-40 lower-case letters, digits or -; the audience of its tokens)',
    'name.en': 'Name (English)',
    'name.zhCN': 'Name (Chinese)',
    names: 'Name',
    issue: 'Points its till issues',
    burn: 'Points burned at its till',
    issueAmount: 'It pays per 1,000 points issued (minor units; empty: it issues none)',
    burnAmount: 'We pay it per 1,000 points burned (minor units; empty: none burn there)',
    currency: 'Currency',
    save: 'Save partner',
    created: 'Partner {id} created: {terms}.',
    updated: 'Partner {id} saved: {terms}.',
    terms: 'issues at {issue}, burns at {burn} per 1,000 points',
    noPrice: 'none',
    unknownTerms: 'Its agreed prices are not shown to you: type every field as it should be after saving (an empty price means none is agreed).',
    notFound: 'No partner {id}.',
    changedAt: 'Its terms as they stand, last changed {at}.',
  },
  'zh-CN': {
    nav: '合作方',
    title: '合作方',
    new: '新建合作方',
    newTitle: '新建合作方',
    editTitle: '合作方 {id}',
    back: '全部合作方',
    empty: '还没有合作方。',
    'col.id': 'ID',
    'col.name': '名称',
    'col.actions': '操作',
    edit: '编辑 {id}',
    editLink: '编辑',
    id: 'ID（2-40 位小写字母、数字或 -；其令牌的 audience）',
    'name.en': '名称（英文）',
    'name.zhCN': '名称（中文）',
    names: '名称',
    issue: '其门店发放的积分',
    burn: '在其门店消耗的积分',
    issueAmount: '每发放 1,000 积分其支付（最小货币单位；留空：不发放）',
    burnAmount: '每消耗 1,000 积分我们支付（最小货币单位；留空：不可消耗）',
    currency: '币种',
    save: '保存合作方',
    created: '已创建合作方 {id}：{terms}。',
    updated: '已保存合作方 {id}：{terms}。',
    terms: '发放价 {issue}，消耗价 {burn}（每 1,000 积分）',
    noPrice: '无',
    unknownTerms: '你无权查看其约定价格：请按保存后应有的内容填写每一项（价格留空表示未约定）。',
    notFound: '没有合作方 {id}。',
    changedAt: '以下为其当前条款，最近修改于 {at}。',
  },
});

async function partnersPage(main: HTMLElement): Promise<void> {
  show(main, h('h1', {}, m('title')), h('p', {}, t('common.loading')));
  try {
    const { partners } = await request(ConsolePartnersDocument, {});
    show(
      main,
      h('h1', {}, m('title')),
      h('p', {}, h('a', { href: '#/partners/new', class: 'button' }, m('new'))),
      partners.length
        ? table(
            [m('col.id'), m('col.name'), m('col.actions')],
            partners.map((p) => [h('code', {}, p.id), p.name, h('a', { href: `#/partners/${encodeURIComponent(p.id)}`, 'aria-label': m('edit', { id: p.id }) }, m('editLink'))]),
          )
        : h('p', {}, m('empty')),
    );
  } catch (error) {
    show(main, h('h1', {}, m('title')), errorBox(error));
  }
}

/** The form's text, by field path (the server's names in its problems: `pointsIssuePricePer1000.amount`). */
type Values = Record<string, string>;

const EMPTY: Values = {
  id: '',
  'name.en': '',
  'name.zhCN': '',
  'pointsIssuePricePer1000.amount': '',
  'pointsIssuePricePer1000.currency': 'CNY',
  'pointsBurnPricePer1000.amount': '',
  'pointsBurnPricePer1000.currency': 'CNY',
};

/** A partner's terms as the server holds them now (`partners`, shown to who configures or settles); null when they are not shown. */
async function currentTerms(id: string): Promise<{ values: Values; updatedAt: string | null } | 'NOT_FOUND' | null> {
  const { partners } = await request(ConsolePartnerDetailsDocument, {});
  const partner = partners.find((p) => p.id === id);
  if (!partner) return 'NOT_FOUND';
  if (!partner.names) return null;
  // Both prices share the partner's one points currency.
  const currency = partner.pointsIssuePricePer1000?.currency ?? partner.pointsBurnPricePer1000?.currency ?? 'CNY';
  return {
    updatedAt: partner.updatedAt,
    values: {
      ...EMPTY,
      id,
      'name.en': partner.names.en,
      'name.zhCN': partner.names.zhCN,
      'pointsIssuePricePer1000.amount': partner.pointsIssuePricePer1000 ? String(partner.pointsIssuePricePer1000.amount) : '',
      'pointsIssuePricePer1000.currency': currency,
      'pointsBurnPricePer1000.amount': partner.pointsBurnPricePer1000 ? String(partner.pointsBurnPricePer1000.amount) : '',
      'pointsBurnPricePer1000.currency': currency,
    },
  };
}

async function partnerPage(main: HTMLElement, id: string | null): Promise<void> {
  let values: Values = { ...EMPTY, id: id ?? '' };
  let note: Child = null;
  if (id) {
    show(main, backLink(), h('h1', {}, m('editTitle', { id })), h('p', {}, t('common.loading')));
    let terms: Awaited<ReturnType<typeof currentTerms>>;
    try {
      terms = await currentTerms(id);
    } catch (error) {
      show(main, backLink(), h('h1', {}, m('editTitle', { id })), errorBox(error));
      main.querySelector<HTMLElement>('[role=alert]')?.focus();
      return;
    }
    if (terms === 'NOT_FOUND') {
      show(main, backLink(), h('h1', {}, m('editTitle', { id })), h('p', { role: 'alert' }, m('notFound', { id })));
      return;
    }
    if (terms) {
      values = terms.values;
      note = terms.updatedAt ? h('p', { class: 'hint' }, m('changedAt', { at: formatDate(terms.updatedAt) })) : null;
    } else note = h('p', { class: 'hint' }, m('unknownTerms'));
  }
  new PartnerForm(main, id, values, note).render();
}

class PartnerForm {
  private message: Child = null;
  private error: unknown = null;

  constructor(
    private readonly main: HTMLElement,
    private id: string | null,
    private readonly values: Values,
    private note: Child,
  ) {}

  render(): void {
    const v = this.values;
    const control = (name: string, props: Record<string, string | number | boolean> = {}) => {
      const el = input({ name, value: v[name] ?? '', ...props });
      el.addEventListener('input', () => (v[name] = el.value));
      return el;
    };
    const amount = (name: string) => control(name, { type: 'number', step: 1, min: 0, inputmode: 'numeric' });
    const price = (prefix: 'pointsIssuePricePer1000' | 'pointsBurnPricePer1000', legend: string, label: string) =>
      h(
        'fieldset',
        { 'data-field': prefix },
        h('legend', {}, legend),
        h('p', { class: 'problem', hidden: true }),
        h('div', { class: 'grid' }, field(`${prefix}.amount`, label, amount(`${prefix}.amount`)), field(`${prefix}.currency`, m('currency'), control(`${prefix}.currency`, { maxlength: 3 }))),
      );
    show(
      this.main,
      backLink(),
      h('h1', {}, this.id ? m('editTitle', { id: this.id }) : m('newTitle')),
      this.error ? errorBox(this.error) : null,
      this.message ? h('p', { class: 'notice', role: 'status', tabindex: -1 }, this.message) : null,
      this.note,
      h(
        'form',
        { class: 'partner', 'data-problems': true, onsubmit: (event: Event) => (event.preventDefault(), void this.save()) },
        h('p', { class: 'problem', hidden: true }),
        this.id ? null : field('id', m('id'), control('id', { required: true, autocomplete: 'off', spellcheck: 'false' })),
        h(
          'fieldset',
          { 'data-field': 'name' },
          h('legend', {}, m('names')),
          h('p', { class: 'problem', hidden: true }),
          h('div', { class: 'grid' }, field('name.en', m('name.en'), control('name.en', { required: true })), field('name.zhCN', m('name.zhCN'), control('name.zhCN', { required: true }))),
        ),
        price('pointsIssuePricePer1000', m('issue'), m('issueAmount')),
        price('pointsBurnPricePer1000', m('burn'), m('burnAmount')),
        h('p', {}, h('button', { type: 'submit' }, m('save'))),
      ),
    );
  }

  private input(): PartnerInput {
    const v = (name: string) => (this.values[name] ?? '').trim();
    const money = (prefix: string) => (v(`${prefix}.amount`) === '' ? null : { amount: Number(v(`${prefix}.amount`)), currency: v(`${prefix}.currency`).toUpperCase() });
    return {
      id: this.id ? null : v('id'),
      name: { en: v('name.en'), zhCN: v('name.zhCN') },
      pointsIssuePricePer1000: money('pointsIssuePricePer1000'),
      pointsBurnPricePer1000: money('pointsBurnPricePer1000'),
    };
  }

  private async save(): Promise<void> {
    this.message = null;
    this.error = null;
    try {
      const saved = this.id
        ? (await request(ConsoleUpdatePartnerDocument, { partnerId: this.id, input: this.input() })).updatePartner
        : (await request(ConsoleCreatePartnerDocument, { input: this.input() })).createPartner;
      this.message = m(this.id ? 'updated' : 'created', { id: saved.id, terms: terms(saved) });
      if (!this.id) {
        // Now the partner's page: saving again changes it.
        this.id = saved.id;
        history.replaceState(null, '', `#/partners/${encodeURIComponent(saved.id)}`);
      }
      this.note = null;
      this.render();
    } catch (error) {
      this.error = error;
      this.render();
      const problems = error instanceof ApiError ? error.errors.flatMap((e) => e.problems) : [];
      placeProblems(this.main.querySelector<HTMLElement>('form.partner')!, problems);
    }
    this.main.querySelector<HTMLElement>('[role=alert], [role=status]')?.focus();
  }
}

function terms(p: ConsolePartnerTermsFragment): string {
  const money = (price: { amount: number; currency: string } | null) => (price ? formatMoney(price.amount, price.currency) : m('noPrice'));
  return m('terms', { issue: money(p.pointsIssuePricePer1000), burn: money(p.pointsBurnPricePer1000) });
}

const backLink = () => h('p', {}, h('a', { href: '#/partners' }, '← ', m('back')));

export const pages: Page[] = [
  {
    route: 'partners',
    nav: { order: 30, label: () => m('nav') },
    offered: (viewer) => can(viewer, 'CONFIGURE'),
    render: (main, rest) => (rest[0] === 'new' ? partnerPage(main, null) : rest[0] ? partnerPage(main, rest[0]) : partnersPage(main)),
  },
];
