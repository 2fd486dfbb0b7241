// The four kinds of catalog change as form fields, and what each sends as CatalogChangeInput.
import { h } from '../dom.js';
import type { BenefitKind, BenefitPeriod, CatalogChangeInput } from '@coalition-gateway/client';
import { t, type MessageKey } from '../i18n.js';
import { field, input, select } from '../ui.js';

/** The kinds of change the console edits so far (the API takes more: loyalty program changes). */
export type ChangeKind = 'createBenefit' | 'setBundleBenefit' | 'removeBundleBenefit' | 'updatePlan';
export const CHANGE_KINDS: readonly ChangeKind[] = ['createBenefit', 'setBundleBenefit', 'removeBundleBenefit', 'updatePlan'];

/** One change as typed in the form: its kind and the text of each field, by field path. */
export interface ChangeForm {
  kind: ChangeKind;
  values: Record<string, string>;
}

interface FieldSpec {
  /** The field's path inside the change, as the server names it in problems (`name.en`). */
  name: string;
  label: MessageKey;
  type?: 'number';
  options?: ReadonlyArray<readonly [string, MessageKey | null]>;
  initial?: string;
}

const BENEFIT_KINDS: readonly BenefitKind[] = ['QUOTA', 'ACCESS', 'VOUCHER', 'DISCOUNT', 'CONVERSION'];
const PERIODS: readonly BenefitPeriod[] = ['MEMBERSHIP_TERM', 'CALENDAR_MONTH'];
const TRISTATE = [['', 'choice.unchanged'], ['true', 'choice.yes'], ['false', 'choice.no']] as const;

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
  updatePlan: [
    { name: 'planCode', label: 'field.planCode' },
    { name: 'price.amount', label: 'field.price.amount', type: 'number' },
    { name: 'price.currency', label: 'field.currency', initial: 'CNY' },
    { name: 'trialDays', label: 'field.trialDays', type: 'number' },
    { name: 'graceDays', label: 'field.graceDays', type: 'number' },
    { name: 'grandfathered', label: 'field.grandfathered', options: TRISTATE },
    { name: 'active', label: 'field.active', options: TRISTATE },
  ],
};

export function newChange(kind: ChangeKind): ChangeForm {
  const values: Record<string, string> = {};
  for (const spec of FIELDS[kind]) values[spec.name] = spec.initial ?? spec.options?.[0]?.[0] ?? '';
  return { kind, values };
}

/** The fields of change `index` (0-based), each named by its server path `changes[index].<field>`. */
export function changeFields(change: ChangeForm, index: number): HTMLElement[] {
  return FIELDS[change.kind].map((spec) => {
    const value = change.values[spec.name] ?? '';
    const control = spec.options
      ? select(spec.options.map(([v, label]) => [v, label ? t(label) : v] as const), value)
      : input({ value, ...(spec.type === 'number' ? { type: 'number', step: 1, inputmode: 'numeric' } : {}), name: spec.name });
    const update = () => (change.values[spec.name] = control.value);
    control.addEventListener('input', update);
    control.addEventListener('change', update);
    return field(`changes[${index}].${spec.name}`, t(spec.label), control);
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
    case 'updatePlan':
      return {
        updatePlan: {
          planCode: v('planCode'),
          price: money('price'),
          trialDays: int('trialDays'),
          graceDays: int('graceDays'),
          grandfathered: bool('grandfathered'),
          active: bool('active'),
        },
      };
  }
}

export const kindLabel = (kind: ChangeKind): string => t(`kind.${kind}`);

/** The legend of change `index`. */
export const changeLegend = (change: ChangeForm, index: number) => h('legend', {}, t('draft.change', { n: index + 1, kind: kindLabel(change.kind) }));
