import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { auditContextOf } from '../audit/index.js';
import type { RequestContext } from '../../platform/context.js';
import type { LocalizedText } from '../../platform/localized.js';
import { AppError } from '../../platform/errors.js';
import { Capability } from '../../platform/capabilities.js';
import { requireCapability, requireStaff } from '../../platform/guards.js';
import { StaffRole } from '../../platform/principal.js';
import type { CatalogDraft } from './catalog-draft.entity.js';
import { CatalogDraftStatus, MemberMigration } from './catalog-draft.entity.js';
import type { CatalogChange } from './changes.js';
import {
  BundleMigrationInput,
  CatalogDraftInput,
  CatalogDraftType,
  CatalogPreviewType,
  type CatalogChangeInput,
  type CatalogChangeLineType,
} from './catalog.types.js';

/** The input's one-of change as the module stores it; every input problem is listed at once. */
function toChanges(input: CatalogChangeInput[]): CatalogChange[] {
  const problems: Array<{ field: string; message: string }> = [];
  const changes = input.flatMap((c, i): CatalogChange[] => {
    const given = [c.createBenefit, c.setBundleBenefit, c.removeBundleBenefit, c.updatePlan, c.createBundle, c.createPlan, c.setReward, c.setTier, c.setTierBenefit, c.setEarnRules, c.setSegmentConfig].filter((x) => x != null);
    if (given.length !== 1) {
      problems.push({
        field: `changes[${i}]`,
        message: 'must give exactly one of createBenefit, setBundleBenefit, removeBundleBenefit, updatePlan, createBundle, createPlan, setReward, setTier, setTierBenefit, setEarnRules, setSegmentConfig',
      });
      return [];
    }
    if (c.createBenefit) {
      const b = c.createBenefit;
      const currency = b.unitPrice?.currency ?? b.memberValue?.currency ?? 'CNY';
      if (b.unitPrice && b.memberValue && b.unitPrice.currency !== b.memberValue.currency) problems.push({ field: `changes[${i}].memberValue.currency`, message: 'must be the unit price currency' });
      return [
        {
          kind: 'CREATE_BENEFIT',
          code: b.code.trim(),
          partnerId: b.partnerId.trim(),
          benefitKind: b.kind,
          name: { en: b.name.en, 'zh-CN': b.name.zhCN },
          description: { en: b.description?.en ?? '', 'zh-CN': b.description?.zhCN ?? '' },
          unitPrice: b.unitPrice?.amount ?? null,
          memberValue: b.memberValue?.amount ?? null,
          currency: currency.trim().toUpperCase(),
        },
      ];
    }
    if (c.setBundleBenefit) {
      const s = c.setBundleBenefit;
      return [{ kind: 'SET_BUNDLE_BENEFIT', bundleCode: s.bundleCode.trim(), benefitCode: s.benefitCode.trim(), quota: s.quota ?? null, period: s.period, minTier: s.minTier ?? null, segments: s.segments ?? null }];
    }
    if (c.createBundle) return [{ kind: 'CREATE_BUNDLE', code: c.createBundle.code.trim(), name: { en: c.createBundle.name.en.trim(), 'zh-CN': c.createBundle.name.zhCN.trim() } }];
    if (c.createPlan) {
      const p = c.createPlan;
      return [
        {
          kind: 'CREATE_PLAN',
          code: p.code.trim(),
          name: { en: p.name.en.trim(), 'zh-CN': p.name.zhCN.trim() },
          priceAmount: p.price.amount,
          currency: p.price.currency.trim().toUpperCase(),
          billingPeriod: p.billingPeriod,
          bundleCode: p.bundleCode.trim(),
          // The plan table's defaults when left out.
          trialDays: p.trialDays ?? 0,
          graceDays: p.graceDays ?? 7,
          reminderDays: p.reminderDays ?? 7,
          graceAccess: p.graceAccess ?? 'USABLE',
          refundPolicy: p.refundPolicy ?? 'PRO_RATA_MINUS_USED',
          grandfathered: p.grandfathered ?? false,
        },
      ];
    }
    if (c.removeBundleBenefit) return [{ kind: 'REMOVE_BUNDLE_BENEFIT', bundleCode: c.removeBundleBenefit.bundleCode.trim(), benefitCode: c.removeBundleBenefit.benefitCode.trim() }];
    if (c.setReward) {
      const r = c.setReward;
      return [
        {
          kind: 'SET_REWARD',
          code: r.code.trim(),
          name: { en: r.name.en, 'zh-CN': r.name.zhCN },
          pointsCost: r.pointsCost,
          partnerId: r.partnerId?.trim() || null,
          benefitCode: r.benefitCode?.trim() || null,
          units: r.units ?? 1,
          validityDays: r.validityDays ?? 30,
          active: r.active ?? true,
        },
      ];
    }
    if (c.setTier) return [{ kind: 'SET_TIER', code: c.setTier.code.trim(), minSpend: c.setTier.minSpend?.amount ?? null, multiplierPermille: c.setTier.multiplierPermille }];
    if (c.setTierBenefit) {
      const b = c.setTierBenefit;
      return [{ kind: 'SET_TIER_BENEFIT', tierCode: b.tierCode.trim(), benefitCode: b.benefitCode.trim(), quota: b.quota ?? null, remove: b.remove ?? false }];
    }
    if (c.setSegmentConfig) {
      try {
        return [{ kind: 'SET_SEGMENT_CONFIG', config: JSON.parse(c.setSegmentConfig.configJson) as unknown }];
      } catch {
        problems.push({ field: `changes[${i}].configJson`, message: 'must be JSON' });
        return [];
      }
    }
    if (c.setEarnRules) {
      try {
        return [{ kind: 'SET_EARN_RULES', rules: JSON.parse(c.setEarnRules.rulesJson) as unknown }];
      } catch {
        problems.push({ field: `changes[${i}].rulesJson`, message: 'must be JSON' });
        return [];
      }
    }
    const u = c.updatePlan!;
    const set: Record<string, unknown> = {};
    if (u.price != null) set.priceAmount = u.price.amount;
    if (u.trialDays != null) set.trialDays = u.trialDays;
    if (u.graceDays != null) set.graceDays = u.graceDays;
    if (u.grandfathered != null) set.grandfathered = u.grandfathered;
    if (u.active != null) set.active = u.active;
    if (u.refundPolicy != null) set.refundPolicy = u.refundPolicy;
    if (u.reminderDays != null) set.reminderDays = u.reminderDays;
    if (u.graceAccess != null) set.graceAccess = u.graceAccess;
    if (u.name != null) set.name = { en: u.name.en.trim(), 'zh-CN': u.name.zhCN.trim() };
    return [{ kind: 'UPDATE_PLAN', planCode: u.planCode.trim(), set }];
  });
  if (problems.length) throw AppError.badInput(problems);
  return changes;
}

function summary(change: CatalogChange): string {
  switch (change.kind) {
    case 'CREATE_BENEFIT':
      return `new ${change.benefitKind} benefit ${change.code} of ${change.partnerId}`;
    case 'SET_BUNDLE_BENEFIT':
      return `${change.bundleCode} grants ${change.benefitCode}${change.quota === null ? '' : ` ×${change.quota}`} per ${change.period === 'CALENDAR_MONTH' ? 'month' : 'membership term'}${change.minTier ? `, ${change.minTier} and above` : ''}${change.segments ? `, segments ${change.segments.join(', ')}` : ''}`;
    case 'REMOVE_BUNDLE_BENEFIT':
      return `${change.bundleCode} no longer grants ${change.benefitCode}`;
    case 'UPDATE_PLAN':
      return `${change.planCode}: ${Object.entries(change.set).map(([k, v]) => `${k} ${k === 'name' ? `${(v as LocalizedText).en} / ${(v as LocalizedText)['zh-CN']}` : String(v)}`).join(', ')}`;
    case 'CREATE_BUNDLE':
      return `new bundle ${change.code} (${change.name.en})`;
    case 'CREATE_PLAN':
      return `new plan ${change.code} (${change.name.en}): ${change.priceAmount} ${change.currency} a ${change.billingPeriod.toLowerCase()} for ${change.bundleCode}${change.trialDays ? `, ${change.trialDays}-day trial` : ''}, refund ${change.refundPolicy}`;
    case 'SET_REWARD':
      return `reward ${change.code}: ${change.pointsCost} points for ${change.units} × ${change.benefitCode ?? 'nothing'}${change.partnerId ? ` at ${change.partnerId}` : ''}, ${change.validityDays} days${change.active ? '' : ' (off sale)'}`;
    case 'SET_TIER':
      return `tier ${change.code}: ${change.minSpend === null ? 'no threshold' : `spend ${change.minSpend}`}, points ×${change.multiplierPermille / 1000}`;
    case 'SET_TIER_BENEFIT':
      return change.remove ? `${change.tierCode} no longer unlocks ${change.benefitCode}` : `${change.tierCode} and above unlock ${change.benefitCode}${change.quota === null ? '' : ` ×${change.quota}`} a month`;
    case 'SET_EARN_RULES':
      return 'new earn rules';
    case 'SET_SEGMENT_CONFIG':
      return 'new segment definitions';
  }
}

async function out(draft: CatalogDraft, ctx: RequestContext): Promise<CatalogDraftType> {
  const { plan } = await ctx.services.catalog.view(draft);
  const open = draft.status === CatalogDraftStatus.DRAFT;
  return {
    id: draft.id,
    title: draft.title,
    status: draft.status,
    createdBy: draft.createdBy,
    createdAt: draft.createdAt,
    updatedAt: draft.updatedAt,
    effectiveAt: draft.effectiveAt ?? null,
    publishedAt: draft.publishedAt ?? null,
    canceledAt: draft.canceledAt ?? null,
    changes: draft.changes.map((c): CatalogChangeLineType => ({ kind: c.kind, summary: summary(c), json: JSON.stringify(c) })),
    // A published draft's problems and diff were those of its day: shown against the catalog it made.
    problems: open ? plan.problems : [],
    diff: plan.diff,
  };
}

@Resolver(() => CatalogDraftType)
export class CatalogResolver {
  @Query(() => [CatalogDraftType], { description: 'Catalog drafts and publications, newest first (admins, product managers, finance)' })
  async catalogDrafts(@Arg('status', () => CatalogDraftStatus, { nullable: true }) status: CatalogDraftStatus | null, @Ctx() ctx: RequestContext): Promise<CatalogDraftType[]> {
    requireStaff(ctx.principal, 'catalogDrafts', [StaffRole.PRODUCT_MANAGER, StaffRole.FINANCE]);
    return Promise.all((await ctx.services.catalog.list(status ?? null)).map((d) => out(d, ctx)));
  }

  @Query(() => CatalogDraftType, { description: 'One draft with its problems and its diff against the live catalog (admins, product managers, finance)' })
  async catalogDraft(@Arg('draftId', () => ID) draftId: string, @Ctx() ctx: RequestContext): Promise<CatalogDraftType> {
    requireStaff(ctx.principal, 'catalogDraft', [StaffRole.PRODUCT_MANAGER, StaffRole.FINANCE]);
    return out(await ctx.services.catalog.get(draftId), ctx);
  }

  @Query(() => CatalogPreviewType, { description: "What a member gets of their plan's bundle today and under a draft (admins, product managers)" })
  catalogPreview(@Arg('draftId', () => ID) draftId: string, @Arg('memberId', () => ID) memberId: string, @Ctx() ctx: RequestContext): Promise<CatalogPreviewType> {
    requireCapability(ctx.principal, 'catalogPreview', Capability.CONFIGURE);
    return ctx.services.catalog.preview(draftId, memberId);
  }

  @Mutation(() => CatalogDraftType, { description: 'Saves a draft of changes to benefits, bundles and plans; its problems are listed on it, all at once (admins, product managers)' })
  async createCatalogDraft(@Arg('input', () => CatalogDraftInput) input: CatalogDraftInput, @Ctx() ctx: RequestContext): Promise<CatalogDraftType> {
    requireCapability(ctx.principal, 'createCatalogDraft', Capability.CONFIGURE);
    return out(await ctx.services.catalog.create(input.title, toChanges(input.changes), auditContextOf(ctx)), ctx);
  }

  @Mutation(() => CatalogDraftType, { description: "Replaces a draft's title and changes (admins, product managers)" })
  async updateCatalogDraft(@Arg('draftId', () => ID) draftId: string, @Arg('input', () => CatalogDraftInput) input: CatalogDraftInput, @Ctx() ctx: RequestContext): Promise<CatalogDraftType> {
    requireCapability(ctx.principal, 'updateCatalogDraft', Capability.CONFIGURE);
    return out(await ctx.services.catalog.update(draftId, input.title, toChanges(input.changes), auditContextOf(ctx)), ctx);
  }

  @Mutation(() => CatalogDraftType, {
    description:
      'Publishes a draft effective at `effectiveAt` (now when absent): refused with every problem listed when it has any; per bundle, current members are grandfathered until renewal (default) or migrated at the effective date (admins, product managers)',
  })
  async publishCatalogDraft(
    @Arg('draftId', () => ID) draftId: string,
    @Arg('effectiveAt', () => Date, { nullable: true }) effectiveAt: Date | null,
    @Arg('migrations', () => [BundleMigrationInput], { nullable: true }) migrations: BundleMigrationInput[] | null,
    @Ctx() ctx: RequestContext,
  ): Promise<CatalogDraftType> {
    requireCapability(ctx.principal, 'publishCatalogDraft', Capability.PUBLISH);
    const byBundle: Record<string, MemberMigration> = {};
    for (const m of migrations ?? []) byBundle[m.bundleCode.trim()] = m.members;
    return out(await ctx.services.catalog.publish(draftId, { effectiveAt: effectiveAt ?? null, migrations: byBundle }, auditContextOf(ctx)), ctx);
  }

  @Mutation(() => CatalogDraftType, { description: 'Takes back a publication still ahead of its effective date; it leaves nothing behind (admins, product managers)' })
  async cancelCatalogPublication(@Arg('draftId', () => ID) draftId: string, @Ctx() ctx: RequestContext): Promise<CatalogDraftType> {
    requireCapability(ctx.principal, 'cancelCatalogPublication', Capability.PUBLISH);
    return out(await ctx.services.catalog.cancel(draftId, auditContextOf(ctx)), ctx);
  }
}
