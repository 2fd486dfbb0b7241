import { Arg, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import { requireStaff } from '../../platform/guards.js';
import { StaffRole } from '../../platform/principal.js';
import type { RequestContext } from '../../platform/context.js';
import { InputValidator } from '../../platform/errors.js';
import { localize } from '../../platform/localized.js';
import { MemberType, type MemberView } from '../member/index.js';
import { expiryReminderText } from './lot-due-work.js';
import type { PointsAccountView } from './points.service.js';
import { PointsAccountType, PointsExpiryType, PointsLiabilityType, PointsLotType, PointsPostingType, PointsRewardCountType } from './points.types.js';
import type { PointsHistoryEntry } from './points.service.js';
import type { LocalizedText } from '../../platform/localized.js';

const MAX_DAYS = 366;

@Resolver(() => MemberType)
export class MemberPointsResolver {
  @FieldResolver(() => PointsAccountType, { description: "The member's coalition points: balance, debt and every lot with its expiry" })
  points(@Root() member: MemberView, @Ctx() ctx: RequestContext): Promise<PointsAccountView> {
    return ctx.services.points.account(member.id);
  }
}

@Resolver(() => PointsLiabilityType)
export class PointsLiabilityResolver {
  @Query(() => PointsLiabilityType, { description: 'What the program owes members in points: how much, until when, issued by whom (admins, finance, analysts)' })
  pointsLiability(@Ctx() ctx: RequestContext): Promise<PointsLiabilityType> {
    requireStaff(ctx.principal, 'pointsLiability', [StaffRole.FINANCE, StaffRole.ANALYST]);
    return ctx.services.points.liability(ctx.services.loyaltyProgram.timeZone);
  }
}

@Resolver(() => PointsAccountType)
export class PointsAccountResolver {
  @FieldResolver(() => [PointsLotType])
  lots(@Root() account: PointsAccountView): PointsLotType[] {
    return account.lots;
  }

  @FieldResolver(() => [PointsPostingType], { description: 'The latest postings, newest first: what each earned or cost and why' })
  async history(
    @Root() account: PointsAccountView,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Ctx() ctx: RequestContext,
  ): Promise<PointsPostingType[]> {
    new InputValidator().check(first >= 1 && first <= 100, 'first', 'must be between 1 and 100').throwIfInvalid();
    return (await ctx.services.points.history(account.memberId, first)).map((e) => ({ id: e.id, kind: e.kind, at: e.at, change: e.change, debt: e.debt, reason: localize(reasonOf(e), ctx.locale) }));
  }

  @FieldResolver(() => [PointsExpiryType], { description: 'Points expiring within `days`, by day, each with what it buys' })
  async expiring(
    @Root() account: PointsAccountView,
    @Arg('days', () => Int, { defaultValue: 90 }) days: number,
    @Ctx() ctx: RequestContext,
  ): Promise<PointsExpiryType[]> {
    new InputValidator().check(days >= 1 && days <= MAX_DAYS, 'days', `must be between 1 and ${MAX_DAYS}`).throwIfInvalid();
    const [expiries, program] = await Promise.all([ctx.services.points.expiring(account, days), ctx.services.loyaltyProgram.current()]);
    return expiries.map((e) => ({
      points: e.points,
      expiresAt: e.expiresAt,
      buys: e.buys.map((b): PointsRewardCountType => ({ reward: b.reward.code, name: localize(b.reward.name, ctx.locale), count: b.count })),
      explanation: localize(expiryReminderText(e.points, e.expiresAt, program, ctx.services.loyaltyProgram.timeZone).body, ctx.locale),
    }));
  }
}

const ACTIVITY: Record<string, LocalizedText> = {
  PURCHASE: { en: 'Purchase', 'zh-CN': '消费' },
  REFUND: { en: 'Refund', 'zh-CN': '退款' },
  CHECK_IN: { en: 'Check-in', 'zh-CN': '签到' },
  REVIEW: { en: 'Review', 'zh-CN': '评价' },
  SHARE: { en: 'Share', 'zh-CN': '分享' },
  PROFILE_COMPLETED: { en: 'Profile completed', 'zh-CN': '完善资料' },
  BIRTHDAY: { en: 'Birthday', 'zh-CN': '生日' },
};

/** Why a posting happened, in the member's words. */
function reasonOf(e: PointsHistoryEntry): LocalizedText {
  const where = e.channel ? ` · ${e.channel}${e.externalId ? ` ${e.externalId}` : ''}` : '';
  if (e.kind === 'EXPIRY') return { en: 'Expired', 'zh-CN': '积分过期' };
  if (e.rewardName && e.kind === 'SPEND') return { en: `Reward: ${e.rewardName.en}`, 'zh-CN': `兑换：${e.rewardName['zh-CN']}` };
  if (e.rewardName && e.kind === 'RESTORE') return { en: `Reward given back: ${e.rewardName.en}`, 'zh-CN': `取消兑换：${e.rewardName['zh-CN']}` };
  if (e.kind === 'SPEND' && !e.activityType) {
    const at = e.partnerId ? { en: ` at ${e.partnerId}`, 'zh-CN': `（${e.partnerId}）` } : { en: '', 'zh-CN': '' };
    return { en: `Spent${at.en}${e.description ? `: ${e.description}` : ''}`, 'zh-CN': `积分使用${at['zh-CN']}${e.description ? `：${e.description}` : ''}` };
  }
  if (e.kind === 'SPEND') return { en: `Paid with points${where}`, 'zh-CN': `积分抵扣${where}` };
  if (e.kind === 'RESTORE') return { en: `Points given back (refund)${where}`, 'zh-CN': `退款返还积分${where}` };
  const activity = ACTIVITY[e.activityType ?? ''] ?? { en: 'Points', 'zh-CN': '积分' };
  if (e.kind === 'REVERSAL') return { en: `Taken back by a refund${where}`, 'zh-CN': `退款扣回积分${where}` };
  return { en: `${activity.en}${where}`, 'zh-CN': `${activity['zh-CN']}${where}` };
}
