// Every kind of catalog change as form fields, what each sends as CatalogChangeInput, and how a
// saved change (`changes { json }`, the server's stored shape) comes back into the form. The
// loyalty program's changes start from the program in force (`loyaltyProgram`): new earn rules
// from the rules as they are, a tier or reward from its current terms once its code is chosen.
import { h } from '../dom.js';
import type { BenefitKind, BenefitPeriod, BillingPeriod, CatalogChangeInput, ConsoleLoyaltyProgramQuery, GraceAccess, RefundPolicy } from '@coalition-gateway/client';
import { messages, t, type MessageKey } from '../i18n.js';
import { field, input, select } from '../ui.js';

/** The kinds of change the console edits: the catalog's and the loyalty program's. */
export type ChangeKind = 'createBenefit' | 'createBundle' | 'setBundleBenefit' | 'removeBundleBenefit' | 'createPlan' | 'updatePlan' | 'setReward' | 'setTier' | 'setTierBenefit' | 'setEarnRules' | 'setSegmentConfig';
export const CHANGE_KINDS: readonly ChangeKind[] = ['createBenefit', 'createBundle', 'setBundleBenefit', 'removeBundleBenefit', 'createPlan', 'updatePlan', 'setReward', 'setTier', 'setTierBenefit', 'setEarnRules', 'setSegmentConfig'];

// The loyalty program's words (the catalog's are in i18n.ts, where they were first).
const programWords = {
  en: {
    'kind.setReward': 'Set reward',
    'kind.setTier': 'Set tier',
    'kind.setTierBenefit': 'Set tier benefit',
    'kind.setEarnRules': 'Set earn rules',
    'field.rewardCode': 'Reward code',
    'field.pointsCost': 'Points it costs',
    'field.rewardPartnerId': 'Partner that delivers it (optional)',
    'field.rewardBenefitCode': 'Benefit its right is of (optional)',
    'field.units': 'Units of the benefit',
    'field.validityDays': 'Days its right stays usable',
    'field.onOffer': 'On offer',
    'field.tierCode': 'Tier code',
    'field.minSpend': 'Qualifying spend threshold (minor units; empty for the base tier)',
    'field.multiplierPermille': 'Points multiplier in thousandths (1500: ×1.5)',
    'field.tierQuota': 'Uses a month (empty for ACCESS)',
    'field.remove': 'Stop unlocking it',
    'field.rules': 'Earn rules (JSON: currency, earn, expiry, expiryReminderDays, refundPolicy, tiers)',
    'kind.setSegmentConfig': 'Set segment definitions',
    'field.config': 'Segment definitions (JSON: schedule, rfm, lifecycle, value)',
  },
  'zh-CN': {
    'kind.setReward': '设置积分兑换',
    'kind.setTier': '设置等级',
    'kind.setTierBenefit': '设置等级权益',
    'kind.setEarnRules': '设置积分规则',
    'field.rewardCode': '兑换代码',
    'field.pointsCost': '所需积分',
    'field.rewardPartnerId': '提供方合作方（可选）',
    'field.rewardBenefitCode': '对应权益（可选）',
    'field.units': '权益数量',
    'field.validityDays': '有效天数',
    'field.onOffer': '可兑换',
    'field.tierCode': '等级代码',
    'field.minSpend': '达标消费门槛（最小货币单位；基础等级留空）',
    'field.multiplierPermille': '积分倍数，千分制（1500：×1.5）',
    'field.tierQuota': '每月次数（ACCESS 留空）',
    'field.remove': '不再解锁',
    'field.rules': '积分规则（JSON：currency、earn、expiry、expiryReminderDays、refundPolicy、tiers）',
    'kind.setSegmentConfig': '设置会员分群定义',
    'field.config': '分群定义（JSON：schedule、rfm、lifecycle、value）',
  },
};
type ProgramWord = keyof (typeof programWords)['en'];
const pm = messages(programWords);

// New bundles and plans, and the plan terms updatePlan gained with them.
const planWords = {
  en: {
    'kind.createBundle': 'Create bundle',
    'kind.createPlan': 'Create plan',
    'field.newBundleCode': 'New bundle code (its benefits: Set bundle benefit changes naming it)',
    'field.newPlanCode': 'New plan code',
    'field.planBundleCode': 'Bundle it sells (existing, or created above)',
    'field.billingPeriod': 'Billing period',
    'field.planName.en': 'Plan name (English; empty: unchanged)',
    'field.planName.zhCN': 'Plan name (Chinese; empty: unchanged)',
    'field.reminderDays': 'Reminder days before renewal',
    'field.graceAccess': 'Rights during grace',
    'field.refundPolicy': 'Refund policy',
  },
  'zh-CN': {
    'kind.createBundle': '新建礼包',
    'kind.createPlan': '新建方案',
    'field.newBundleCode': '新礼包代码（其权益：指向它的“设置礼包权益”变更）',
    'field.newPlanCode': '新方案代码',
    'field.planBundleCode': '所售礼包（已有的，或上面新建的）',
    'field.billingPeriod': '计费周期',
    'field.planName.en': '方案名称（英文；留空：不变）',
    'field.planName.zhCN': '方案名称（中文；留空：不变）',
    'field.reminderDays': '续费前提醒天数',
    'field.graceAccess': '宽限期内的权益',
    'field.refundPolicy': '退款规则',
  },
};
type PlanWord = keyof (typeof planWords)['en'];
const pw = messages(planWords);
const word = (key: MessageKey | ProgramWord | PlanWord): string =>
  key in planWords.en ? pw(key as PlanWord) : key in programWords.en ? pm(key as ProgramWord) : t(key as MessageKey);

/** The loyalty program in force, as `loyaltyProgram` returns it: what its changes start from. */
export type LiveProgram = ConsoleLoyaltyProgramQuery['loyaltyProgram'] & {
  /** The segment definitions in force (`segmentDefinitions.configJson`), when any are. */
  segmentConfigJson?: string | null;
};

/** One change as typed in the form: its kind and the text of each field, by field path. */
export interface ChangeForm {
  kind: ChangeKind;
  values: Record<string, string>;
}

interface FieldSpec {
  /** The field's path inside the change, as the server names it in problems (`name.en`). */
  name: string;
  label: MessageKey | ProgramWord | PlanWord;
  /** A number input, or a JSON textarea (checked by the server, not here). */
  type?: 'number' | 'json';
  options?: ReadonlyArray<readonly [string, MessageKey | null]>;
  initial?: string;
}

const BENEFIT_KINDS: readonly BenefitKind[] = ['QUOTA', 'ACCESS', 'VOUCHER', 'DISCOUNT', 'CONVERSION'];
const PERIODS: readonly BenefitPeriod[] = ['MEMBERSHIP_TERM', 'CALENDAR_MONTH'];
const TRISTATE = [['', 'choice.unchanged'], ['true', 'choice.yes'], ['false', 'choice.no']] as const;
const YES_NO = [['true', 'choice.yes'], ['false', 'choice.no']] as const;
const NO_YES = [['false', 'choice.no'], ['true', 'choice.yes']] as const;
const BILLING_PERIODS: readonly BillingPeriod[] = ['MONTH', 'YEAR'];
const REFUND_POLICIES: readonly RefundPolicy[] = ['PRO_RATA_MINUS_USED', 'PRO_RATA', 'FULL'];
const GRACE_ACCESS: readonly GraceAccess[] = ['USABLE', 'SUSPENDED'];
/** An enum's values for updatePlan, first "unchanged" (sent as null). */
const orUnchanged = (values: readonly string[]) => [['', 'choice.unchanged'] as const, ...values.map((v) => [v, null] as const)];

const FIELDS: Record<ChangeKind, readonly FieldSpec[]> = {
  createBenefit: [
    { name: 'code', label: 'field.code' },
    { name: 'partnerId', label: 'field.partnerId' },
    { name: 'kind', label: 'field.kind', options: BENEFIT_KINDS.map((k) => [k, null]) },
    { name: 'name.en', label: 'field.name.en' },
    { name: 'name.zhCN', label: 'field.name.zhCN' },
    { name: 'description.en', label: 'field.description.en' },
    { name: 'description.zhCN', label: 'field.description.zhCN' },
    { name: 'unitPrice.amount', label: 'field.unitPrice.amount', type: 'number' },
    { name: 'unitPrice.currency', label: 'field.currency', initial: 'CNY' },
    { name: 'memberValue.amount', label: 'field.memberValue.amount', type: 'number' },
    { name: 'memberValue.currency', label: 'field.currency', initial: 'CNY' },
  ],
  createBundle: [
    { name: 'code', label: 'field.newBundleCode' },
    { name: 'name.en', label: 'field.name.en' },
    { name: 'name.zhCN', label: 'field.name.zhCN' },
  ],
  setBundleBenefit: [
    { name: 'bundleCode', label: 'field.bundleCode' },
    { name: 'benefitCode', label: 'field.benefitCode' },
    { name: 'quota', label: 'field.quota', type: 'number' },
    { name: 'period', label: 'field.period', options: PERIODS.map((p) => [p, null]) },
    { name: 'minTier', label: 'field.minTier' },
    { name: 'segments', label: 'field.segments' },
  ],
  removeBundleBenefit: [
    { name: 'bundleCode', label: 'field.bundleCode' },
    { name: 'benefitCode', label: 'field.benefitCode' },
  ],
  createPlan: [
    { name: 'code', label: 'field.newPlanCode' },
    { name: 'name.en', label: 'field.name.en' },
    { name: 'name.zhCN', label: 'field.name.zhCN' },
    { name: 'price.amount', label: 'field.price.amount', type: 'number' },
    { name: 'price.currency', label: 'field.currency', initial: 'CNY' },
    { name: 'billingPeriod', label: 'field.billingPeriod', options: BILLING_PERIODS.map((p) => [p, null]) },
    { name: 'bundleCode', label: 'field.planBundleCode' },
    { name: 'trialDays', label: 'field.trialDays', type: 'number', initial: '0' },
    { name: 'graceDays', label: 'field.graceDays', type: 'number', initial: '7' },
    { name: 'reminderDays', label: 'field.reminderDays', type: 'number', initial: '7' },
    { name: 'refundPolicy', label: 'field.refundPolicy', options: REFUND_POLICIES.map((p) => [p, null]) },
    { name: 'graceAccess', label: 'field.graceAccess', options: GRACE_ACCESS.map((g) => [g, null]) },
    { name: 'grandfathered', label: 'field.grandfathered', options: NO_YES },
  ],
  updatePlan: [
    { name: 'planCode', label: 'field.planCode' },
    { name: 'price.amount', label: 'field.price.amount', type: 'number' },
    { name: 'price.currency', label: 'field.currency', initial: 'CNY' },
    { name: 'trialDays', label: 'field.trialDays', type: 'number' },
    { name: 'graceDays', label: 'field.graceDays', type: 'number' },
    { name: 'grandfathered', label: 'field.grandfathered', options: TRISTATE },
    { name: 'active', label: 'field.active', options: TRISTATE },
    { name: 'refundPolicy', label: 'field.refundPolicy', options: orUnchanged(REFUND_POLICIES) },
    { name: 'reminderDays', label: 'field.reminderDays', type: 'number' },
    { name: 'graceAccess', label: 'field.graceAccess', options: orUnchanged(GRACE_ACCESS) },
    { name: 'name.en', label: 'field.planName.en' },
    { name: 'name.zhCN', label: 'field.planName.zhCN' },
  ],
  setReward: [
    { name: 'code', label: 'field.rewardCode' },
    { name: 'name.en', label: 'field.name.en' },
    { name: 'name.zhCN', label: 'field.name.zhCN' },
    { name: 'pointsCost', label: 'field.pointsCost', type: 'number' },
    { name: 'partnerId', label: 'field.rewardPartnerId' },
    { name: 'benefitCode', label: 'field.rewardBenefitCode' },
    { name: 'units', label: 'field.units', type: 'number', initial: '1' },
    { name: 'validityDays', label: 'field.validityDays', type: 'number', initial: '30' },
    { name: 'active', label: 'field.onOffer', options: YES_NO },
  ],
  setTier: [
    { name: 'code', label: 'field.tierCode' },
    // Named as the server names its problems (`changes[i].minSpend`); the currency beside it.
    { name: 'minSpend', label: 'field.minSpend', type: 'number' },
    { name: 'minSpend.currency', label: 'field.currency', initial: 'CNY' },
    { name: 'multiplierPermille', label: 'field.multiplierPermille', type: 'number', initial: '1000' },
  ],
  setTierBenefit: [
    { name: 'tierCode', label: 'field.tierCode' },
    { name: 'benefitCode', label: 'field.benefitCode' },
    { name: 'quota', label: 'field.tierQuota', type: 'number' },
    { name: 'remove', label: 'field.remove', options: NO_YES },
  ],
  // `rules`: where the server puts the rules' problems (`changes[i].rules.earn.purchase.points`).
  setEarnRules: [{ name: 'rules', label: 'field.rules', type: 'json' }],
  // `config`: where the server puts the definitions' problems (`changes[i].config.lifecycle.newDays`).
  setSegmentConfig: [{ name: 'config', label: 'field.config', type: 'json' }],
};

/** A new change of `kind`; new earn rules start as the rules in force, when `live` is known. */
export function newChange(kind: ChangeKind, live: LiveProgram | null = null): ChangeForm {
  const values: Record<string, string> = {};
  for (const spec of FIELDS[kind]) values[spec.name] = spec.initial ?? spec.options?.[0]?.[0] ?? '';
  if (kind === 'setEarnRules' && live) values['rules'] = JSON.stringify(JSON.parse(live.rulesJson), null, 2);
  if (kind === 'setSegmentConfig' && live?.segmentConfigJson) values['config'] = JSON.stringify(JSON.parse(live.segmentConfigJson), null, 2);
  return { kind, values };
}

/** The codes a change's code field may name in the program in force (offered as suggestions). */
function liveCodes(kind: ChangeKind, name: string, live: LiveProgram): string[] {
  if ((kind === 'setTier' && name === 'code') || (kind === 'setTierBenefit' && name === 'tierCode')) return live.tiers.map((t) => t.code);
  if (kind === 'setReward' && name === 'code') return live.rewards.map((r) => r.code);
  return [];
}

/** A tier's or reward's current terms as the form's text, once its code names one in force; null otherwise. */
function liveTerms(kind: ChangeKind, code: string, live: LiveProgram): Record<string, string> | null {
  if (kind === 'setTier') {
    const tier = live.tiers.find((t) => t.code === code);
    return tier
      ? { minSpend: tier.minSpend ? String(tier.minSpend.amount) : '', 'minSpend.currency': tier.minSpend?.currency ?? live.currency, multiplierPermille: String(tier.multiplierPermille) }
      : null;
  }
  if (kind === 'setReward') {
    const reward = live.rewards.find((r) => r.code === code);
    return reward
      ? {
          'name.en': reward.names.en,
          'name.zhCN': reward.names.zhCN,
          pointsCost: String(reward.pointsCost),
          partnerId: reward.partnerId ?? '',
          benefitCode: reward.benefitCode ?? '',
          units: String(reward.units),
          validityDays: String(reward.validityDays),
          active: 'true',
        }
      : null;
  }
  return null;
}

/**
 * The fields of change `index` (0-based), each named by its server path `changes[index].<field>`.
 * With the program in force, a tier's or reward's code suggests those in force, and choosing one
 * fills the other fields with its current terms, to be changed from there.
 */
export function changeFields(change: ChangeForm, index: number, live: LiveProgram | null = null): HTMLElement[] {
  const controls = new Map<string, HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>();
  return FIELDS[change.kind].map((spec) => {
    const value = change.values[spec.name] ?? '';
    const control = spec.options
      ? select(spec.options.map(([v, label]) => [v, label ? t(label) : v] as const), value)
      : spec.type === 'json'
        ? h('textarea', { name: spec.name, rows: 14, spellcheck: 'false', autocomplete: 'off' }, value)
        : input({ value, ...(spec.type === 'number' ? { type: 'number', step: 1, inputmode: 'numeric' } : {}), name: spec.name });
    controls.set(spec.name, control);
    const update = () => (change.values[spec.name] = control.value);
    control.addEventListener('input', update);
    control.addEventListener('change', update);
    const suggestions = live ? liveCodes(change.kind, spec.name, live) : [];
    const list = suggestions.length ? h('datalist', { id: `changes-${index}-${spec.name}-codes` }, suggestions.map((code) => h('option', { value: code }))) : null;
    if (list) control.setAttribute('list', list.id);
    if (live && spec.name === 'code') {
      control.addEventListener('change', () => {
        const terms = liveTerms(change.kind, control.value.trim(), live);
        for (const [name, value] of Object.entries(terms ?? {})) {
          change.values[name] = value;
          const other = controls.get(name);
          if (other) other.value = value;
        }
      });
    }
    const container = field(`changes[${index}].${spec.name}`, word(spec.label), control);
    if (list) container.append(list);
    if (spec.type === 'json') container.classList.add('wide');
    return container;
  });
}

/** What the form's text sends: blank optional fields are left out, numbers parsed. */
export function toInput(change: ChangeForm): CatalogChangeInput {
  const v = (name: string) => (change.values[name] ?? '').trim();
  const int = (name: string) => (v(name) === '' ? null : Number(v(name)));
  const money = (prefix: string) => (v(`${prefix}.amount`) === '' ? null : { amount: Number(v(`${prefix}.amount`)), currency: v(`${prefix}.currency`) });
  const bool = (name: string) => (v(name) === '' ? null : v(name) === 'true');
  switch (change.kind) {
    case 'createBenefit':
      return {
        createBenefit: {
          code: v('code'),
          partnerId: v('partnerId'),
          kind: v('kind') as BenefitKind,
          name: { en: v('name.en'), zhCN: v('name.zhCN') },
          description: v('description.en') || v('description.zhCN') ? { en: v('description.en'), zhCN: v('description.zhCN') } : null,
          unitPrice: money('unitPrice'),
          memberValue: money('memberValue'),
        },
      };
    case 'setBundleBenefit': {
      const segments = v('segments').split(/[,，\s]+/).filter(Boolean);
      return {
        setBundleBenefit: {
          bundleCode: v('bundleCode'),
          benefitCode: v('benefitCode'),
          quota: int('quota'),
          period: v('period') as BenefitPeriod,
          minTier: v('minTier') || null,
          segments: segments.length ? segments : null,
        },
      };
    }
    case 'removeBundleBenefit':
      return { removeBundleBenefit: { bundleCode: v('bundleCode'), benefitCode: v('benefitCode') } };
    case 'createBundle':
      return { createBundle: { code: v('code'), name: { en: v('name.en'), zhCN: v('name.zhCN') } } };
    case 'createPlan':
      return {
        createPlan: {
          code: v('code'),
          name: { en: v('name.en'), zhCN: v('name.zhCN') },
          // A blank price is sent as 0, so the server names the field rather than the request failing to parse.
          price: { amount: int('price.amount') ?? 0, currency: v('price.currency') },
          billingPeriod: v('billingPeriod') as BillingPeriod,
          bundleCode: v('bundleCode'),
          trialDays: int('trialDays'),
          graceDays: int('graceDays'),
          reminderDays: int('reminderDays'),
          refundPolicy: v('refundPolicy') as RefundPolicy,
          graceAccess: v('graceAccess') as GraceAccess,
          grandfathered: bool('grandfathered'),
        },
      };
    case 'updatePlan':
      return {
        updatePlan: {
          planCode: v('planCode'),
          price: money('price'),
          trialDays: int('trialDays'),
          graceDays: int('graceDays'),
          grandfathered: bool('grandfathered'),
          active: bool('active'),
          refundPolicy: (v('refundPolicy') || null) as RefundPolicy | null,
          reminderDays: int('reminderDays'),
          graceAccess: (v('graceAccess') || null) as GraceAccess | null,
          // Both names or neither: one left empty is sent, so the server names it.
          name: v('name.en') || v('name.zhCN') ? { en: v('name.en'), zhCN: v('name.zhCN') } : null,
        },
      };
    case 'setReward':
      return {
        setReward: {
          code: v('code'),
          name: { en: v('name.en'), zhCN: v('name.zhCN') },
          // Blank is sent as 0, so the server names the field rather than the request failing to parse.
          pointsCost: int('pointsCost') ?? 0,
          partnerId: v('partnerId') || null,
          benefitCode: v('benefitCode') || null,
          units: int('units'),
          validityDays: int('validityDays'),
          active: bool('active'),
        },
      };
    case 'setTier':
      return {
        setTier: {
          code: v('code'),
          minSpend: v('minSpend') === '' ? null : { amount: Number(v('minSpend')), currency: v('minSpend.currency') },
          multiplierPermille: int('multiplierPermille') ?? 0,
        },
      };
    case 'setTierBenefit':
      return { setTierBenefit: { tierCode: v('tierCode'), benefitCode: v('benefitCode'), quota: int('quota'), remove: bool('remove') } };
    case 'setEarnRules':
      // As typed: the server parses and validates it, and names every problem.
      return { setEarnRules: { rulesJson: change.values['rules'] ?? '' } };
    case 'setSegmentConfig':
      return { setSegmentConfig: { configJson: change.values['config'] ?? '' } };
  }
}

/** The server's stored shape of one change (`CatalogChangeLine.json`), as far as the form reads it. */
type Stored = Record<string, unknown> & { kind: string };

const KIND_OF: Record<string, ChangeKind> = {
  CREATE_BENEFIT: 'createBenefit',
  SET_BUNDLE_BENEFIT: 'setBundleBenefit',
  REMOVE_BUNDLE_BENEFIT: 'removeBundleBenefit',
  UPDATE_PLAN: 'updatePlan',
  CREATE_BUNDLE: 'createBundle',
  CREATE_PLAN: 'createPlan',
  SET_REWARD: 'setReward',
  SET_TIER: 'setTier',
  SET_TIER_BENEFIT: 'setTierBenefit',
  SET_EARN_RULES: 'setEarnRules',
  SET_SEGMENT_CONFIG: 'setSegmentConfig',
};

/**
 * A saved change back as the form's text, from the JSON the server returns for it; null for a
 * kind this console does not know (the draft then stays read-only rather than lose it on save).
 */
export function fromStored(json: string): ChangeForm | null {
  const c = JSON.parse(json) as Stored;
  const kind = KIND_OF[c.kind];
  if (!kind) return null;
  const form = newChange(kind);
  const text = (value: unknown) => (value === null || value === undefined ? '' : String(value));
  const name = (value: unknown) => (value ?? {}) as Record<string, string>;
  const set = (values: Record<string, unknown>) => {
    for (const [key, value] of Object.entries(values)) form.values[key] = text(value);
  };
  switch (kind) {
    case 'createBenefit':
      set({
        code: c.code,
        partnerId: c.partnerId,
        kind: c.benefitKind,
        'name.en': name(c.name).en,
        'name.zhCN': name(c.name)['zh-CN'],
        'description.en': name(c.description).en,
        'description.zhCN': name(c.description)['zh-CN'],
        'unitPrice.amount': c.unitPrice,
        'unitPrice.currency': c.currency,
        'memberValue.amount': c.memberValue,
        'memberValue.currency': c.currency,
      });
      break;
    case 'setBundleBenefit':
      set({ bundleCode: c.bundleCode, benefitCode: c.benefitCode, quota: c.quota, period: c.period, minTier: c.minTier, segments: ((c.segments as string[] | null) ?? []).join(', ') });
      break;
    case 'removeBundleBenefit':
      set({ bundleCode: c.bundleCode, benefitCode: c.benefitCode });
      break;
    case 'updatePlan': {
      // The stored change keeps only what it sets; the price's currency is the plan's (CNY in the form's default).
      const terms = (c.set ?? {}) as Record<string, unknown>;
      set({ planCode: c.planCode, 'price.amount': terms.priceAmount, trialDays: terms.trialDays, graceDays: terms.graceDays, grandfathered: terms.grandfathered, active: terms.active });
      set({ refundPolicy: terms.refundPolicy, reminderDays: terms.reminderDays, graceAccess: terms.graceAccess, 'name.en': name(terms.name).en, 'name.zhCN': name(terms.name)['zh-CN'] });
      break;
    }
    case 'createBundle':
      set({ code: c.code, 'name.en': name(c.name).en, 'name.zhCN': name(c.name)['zh-CN'] });
      break;
    case 'createPlan':
      set({
        code: c.code,
        'name.en': name(c.name).en,
        'name.zhCN': name(c.name)['zh-CN'],
        'price.amount': c.priceAmount,
        'price.currency': c.currency,
        billingPeriod: c.billingPeriod,
        bundleCode: c.bundleCode,
        trialDays: c.trialDays,
        graceDays: c.graceDays,
        reminderDays: c.reminderDays,
        refundPolicy: c.refundPolicy,
        graceAccess: c.graceAccess,
        grandfathered: c.grandfathered,
      });
      break;
    case 'setReward':
      set({
        code: c.code,
        'name.en': name(c.name).en,
        'name.zhCN': name(c.name)['zh-CN'],
        pointsCost: c.pointsCost,
        partnerId: c.partnerId,
        benefitCode: c.benefitCode,
        units: c.units,
        validityDays: c.validityDays,
        active: c.active,
      });
      break;
    case 'setTier':
      set({ code: c.code, minSpend: c.minSpend, multiplierPermille: c.multiplierPermille });
      break;
    case 'setTierBenefit':
      set({ tierCode: c.tierCode, benefitCode: c.benefitCode, quota: c.quota, remove: c.remove });
      break;
    case 'setEarnRules':
      form.values['rules'] = JSON.stringify(c.rules, null, 2);
      break;
    case 'setSegmentConfig':
      form.values['config'] = JSON.stringify(c.config, null, 2);
      break;
  }
  return form;
}

export const kindLabel = (kind: ChangeKind): string => word(`kind.${kind}` as MessageKey | ProgramWord | PlanWord);

/** The legend of change `index`. */
export const changeLegend = (change: ChangeForm, index: number) => h('legend', {}, t('draft.change', { n: index + 1, kind: kindLabel(change.kind) }));
