// The partner portal's benefits: the partner's own benefits with the unit prices agreed with it,
// and for each VOUCHER benefit its pool of codes (warned when below the low watermark) with an
// upload of new codes, one per line, answered with what was accepted and what was a duplicate.
import type { Page } from '../pages.js';
import { ApiError, request } from '../api.js';
import { h, show } from '../dom.js';
import { ConsolePortalBenefitsDocument, ConsolePortalUploadVoucherCodesDocument, ConsolePortalVoucherPoolDocument, type ConsolePortalBenefitsQuery } from '@coalition-gateway/client';
import { formatMoney, messages, t } from '../i18n.js';
import { errorBox, field, placeProblems, table } from '../ui.js';
import { forPartners, showFailure, signedOutIfKeyStopped } from './portal.js';

const m = messages({
  en: {
    nav: 'Benefits',
    title: 'Benefits and prices',
    intro: 'Your benefits in the coalition’s bundles, with the unit price agreed with you for each unit redeemed.',
    empty: 'You have no benefits yet.',
    'col.benefit': 'Benefit',
    'col.kind': 'Kind',
    'col.unitPrice': 'Unit price (paid to you)',
    'col.memberValue': 'Value to a member',
    noPrice: 'not agreed',
    pool: 'Voucher codes: {name}',
    available: '{available} available, {claimed} claimed; low below {lowWatermark}.',
    low: 'Few codes are left ({available}, below {lowWatermark}): upload more before members are refused.',
    codes: 'New codes, one per line (at most 5,000 an upload)',
    upload: 'Upload codes',
    uploaded: 'Received {received}: {accepted} accepted, {duplicates} duplicate(s). {available} available now.',
    duplicates: 'Duplicates (never stored twice), up to 20: {samples}',
  },
  'zh-CN': {
    nav: '权益',
    title: '权益与价格',
    intro: '您在联盟礼包中的权益，以及每核销一次与您约定的单价。',
    empty: '您还没有权益。',
    'col.benefit': '权益',
    'col.kind': '类型',
    'col.unitPrice': '单价（付给您）',
    'col.memberValue': '对会员的价值',
    noPrice: '未约定',
    pool: '券码：{name}',
    available: '可用 {available} 个，已领取 {claimed} 个；低于 {lowWatermark} 个时提醒。',
    low: '券码所剩不多（{available} 个，低于 {lowWatermark}）：请在会员被拒之前上传更多。',
    codes: '新券码，每行一个（每次最多 5,000 个）',
    upload: '上传券码',
    uploaded: '收到 {received} 个：接受 {accepted} 个，重复 {duplicates} 个。现在可用 {available} 个。',
    duplicates: '重复的券码（不会重复保存），最多 20 个：{samples}',
  },
});

type Benefit = ConsolePortalBenefitsQuery['partnerBenefits'][number];

async function benefitsPage(main: HTMLElement): Promise<void> {
  show(main, h('h1', {}, m('title')), h('p', {}, t('common.loading')));
  let benefits: Benefit[];
  try {
    benefits = (await request(ConsolePortalBenefitsDocument, {})).partnerBenefits;
  } catch (error) {
    const where = h('div');
    show(main, h('h1', {}, m('title')), where);
    return showFailure(main, where, error);
  }
  const money = (value: { amount: number; currency: string } | null) => (value ? formatMoney(value.amount, value.currency) : m('noPrice'));
  const vouchers = benefits.filter((b) => b.kind === 'VOUCHER');
  show(
    main,
    h('h1', {}, m('title')),
    h('p', {}, m('intro')),
    benefits.length
      ? table(
          [m('col.benefit'), m('col.kind'), m('col.unitPrice'), m('col.memberValue')],
          benefits.map((b) => [h('span', {}, h('strong', {}, b.name), ' ', h('code', {}, b.code), h('br'), h('span', { class: 'hint' }, b.description)), b.kind, money(b.unitPrice), money(b.memberValue)]),
        )
      : h('p', {}, m('empty')),
    vouchers.map((b) => voucherSection(main, b)),
  );
}

function voucherSection(main: HTMLElement, benefit: Benefit): HTMLElement {
  const status = h('div', { class: 'portal-pool-status' }, h('p', {}, t('common.loading')));
  const outcome = h('div');
  const codes = h('textarea', { name: 'codes', rows: 6, required: true, autocomplete: 'off', spellcheck: 'false' });
  const id = `pool-${benefit.code}`;
  const refresh = async () => {
    try {
      const { voucherPool: pool } = await request(ConsolePortalVoucherPoolDocument, { benefitCode: benefit.code });
      show(
        status,
        h('p', {}, m('available', { available: pool.available, claimed: pool.claimed, lowWatermark: pool.lowWatermark })),
        pool.low ? h('p', { class: 'portal-warning', role: 'status' }, '⚠ ', m('low', { available: pool.available, lowWatermark: pool.lowWatermark })) : null,
      );
    } catch (error) {
      showFailure(main, status, error);
    }
  };
  const form = h(
    'form',
    {
      class: 'portal-upload',
      onsubmit: async (event: Event) => {
        event.preventDefault();
        const list = codes.value.split(/\r?\n/).map((c) => c.trim()).filter(Boolean);
        try {
          const { uploadVoucherCodes: r } = await request(ConsolePortalUploadVoucherCodesDocument, { benefitCode: benefit.code, codes: list });
          codes.value = '';
          show(
            outcome,
            h(
              'div',
              { class: 'notice', role: 'status', tabindex: -1 },
              h('p', {}, m('uploaded', { received: r.received, accepted: r.accepted, duplicates: r.duplicates, available: r.available })),
              r.duplicateSamples.length ? h('p', {}, m('duplicates', { samples: r.duplicateSamples.join(', ') })) : null,
            ),
          );
          await refresh();
          outcome.querySelector<HTMLElement>('[role=status]')!.focus();
        } catch (error) {
          if (signedOutIfKeyStopped(main, error)) return;
          show(outcome, errorBox(error));
          placeProblems(form, error instanceof ApiError ? error.errors.flatMap((e) => e.problems) : []);
          outcome.querySelector<HTMLElement>('[role=alert]')!.focus();
        }
      },
    },
    h('p', { class: 'problem', hidden: true }),
    field('codes', m('codes'), codes),
    h('p', {}, h('button', { type: 'submit' }, m('upload'))),
  );
  void refresh();
  return h('section', { class: 'portal-pool', 'data-benefit': benefit.code, 'aria-labelledby': id }, h('h2', { id }, m('pool', { name: benefit.name }), ' ', h('code', {}, benefit.code)), status, form, outcome);
}

export const pages: Page[] = [{ route: 'portal-benefits', nav: { order: 14, label: () => m('nav') }, offered: forPartners, render: (main) => benefitsPage(main) }];
