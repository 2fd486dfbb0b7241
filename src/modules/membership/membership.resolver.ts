import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { auditContextOf } from '../audit/index.js';
import { Capability } from '../../platform/capabilities.js';
import { requireCapability, requireMember, requireStaff } from '../../platform/guards.js';
import { StaffRole } from '../../platform/principal.js';
import type { RequestContext } from '../../platform/context.js';
import { InputValidator } from '../../platform/errors.js';
import { Money } from '../../platform/graphql-types.js';
import type { Membership, MembershipEvent, Payment, PaymentRefund } from './membership.entity.js';
import { PlanChangeTiming, type MembershipView, type PlanChangeQuote, type RefundQuote } from './membership.service.js';
import { MembershipEventType, MembershipType, PaymentRefundType, PaymentType, PlanChangeQuoteType, RefundQuoteType } from './membership.types.js';
import { MemberType, type MemberView } from '../member/index.js';
import { type Plan, PlanType, RefundPolicy } from '../plan/index.js';

const MAX_PAYMENTS = 100;

@Resolver(() => MembershipType)
export class MembershipResolver {
  @Mutation(() => MembershipType, {
    description:
      'Buys a plan, or starts its free trial (`trial: true`; one per member, TRIAL_ALREADY_USED after). Repeating the idempotency key with the same request returns the first result.',
  })
  subscribe(
    @Arg('planCode', () => String) planCode: string,
    @Arg('idempotencyKey', () => String) idempotencyKey: string,
    @Arg('trial', () => Boolean, { defaultValue: false, description: "Start the plan's free trial instead of paying now" }) trial: boolean,
    @Ctx() ctx: RequestContext,
  ): Promise<Membership> {
    const member = requireMember(ctx.principal, 'subscribe');
    return ctx.services.memberships.subscribe(member.memberId, planCode, idempotencyKey, { trial });
  }

  @Mutation(() => MembershipType, {
    description: 'Cancels: at the end of the paid period or trial (rights stay until then); a PAST_DUE membership ends now',
  })
  cancelMembership(@Arg('membershipId', () => ID) membershipId: string, @Ctx() ctx: RequestContext): Promise<Membership> {
    const member = requireMember(ctx.principal, 'cancelMembership');
    return ctx.services.memberships.cancelAtPeriodEnd(member.memberId, membershipId);
  }

  @Mutation(() => MembershipType, {
    description: "Turns renewal at the period's end on or off; turning it on may ask the payment provider for a mandate (MANDATE_REFUSED)",
  })
  setAutoRenew(
    @Arg('membershipId', () => ID) membershipId: string,
    @Arg('autoRenew', () => Boolean) autoRenew: boolean,
    @Ctx() ctx: RequestContext,
  ): Promise<Membership> {
    const member = requireMember(ctx.principal, 'setAutoRenew');
    return ctx.services.memberships.setAutoRenew(member.memberId, membershipId, autoRenew);
  }

  @Mutation(() => MembershipType, {
    description:
      'Pays a PAST_DUE renewal now (a one-off charge, or `newMandate: true` to give a new mandate that also pays later renewals): ACTIVE again once confirmed, same period, no gap, never charged twice',
  })
  payPastDue(
    @Arg('membershipId', () => ID) membershipId: string,
    @Arg('newMandate', () => Boolean, { defaultValue: false }) newMandate: boolean,
    @Ctx() ctx: RequestContext,
  ): Promise<Membership> {
    const member = requireMember(ctx.principal, 'payPastDue');
    return ctx.services.memberships.payPastDue(member.memberId, membershipId, { newMandate });
  }

  @Mutation(() => MembershipType, {
    description:
      "Refunds the member's own membership now under its plan's refund policy and ends it (rights revoked here and at the partners), for the amount `refundQuote` showed (`expectedAmount`; QUOTE_CHANGED when it moved)",
  })
  refundMyMembership(
    @Arg('membershipId', () => ID) membershipId: string,
    @Arg('expectedAmount', () => Int, { description: 'Minor units, as refundQuote.amount showed it' }) expectedAmount: number,
    @Ctx() ctx: RequestContext,
  ): Promise<Membership> {
    const member = requireMember(ctx.principal, 'refundMyMembership');
    return ctx.services.memberships.refund(membershipId, auditContextOf(ctx), { memberId: member.memberId, expectedAmount });
  }

  @Mutation(() => MembershipType, {
    description:
      "Refunds a membership now (admins, support) under its plan's refund policy, or `policy` (support's goodwill: FULL), and ends it: its rights are revoked here and at the partners. `expectedAmount` guards against a stale figure",
  })
  refundMembership(
    @Arg('membershipId', () => ID) membershipId: string,
    @Arg('policy', () => RefundPolicy, { nullable: true, description: "Refund under this policy instead of the plan's" }) policy: RefundPolicy | null,
    @Arg('expectedAmount', () => Int, { nullable: true, description: 'Minor units: refused with QUOTE_CHANGED when the refund would differ' }) expectedAmount: number | null,
    @Ctx() ctx: RequestContext,
  ): Promise<Membership> {
    requireCapability(ctx.principal, 'refundMembership', Capability.REFUND);
    return ctx.services.memberships.refund(membershipId, auditContextOf(ctx), {
      ...(expectedAmount !== null ? { expectedAmount } : {}),
      ...(policy ? { policy } : {}),
    });
  }

  @Mutation(() => MembershipType, {
    description:
      'Changes plan (monthly ↔ yearly, …): IMMEDIATELY pays the quoted difference (`expectedAmount`: planChangeQuote.amountDue; QUOTE_CHANGED when it moved) and starts a new period with used units carried over; AT_PERIOD_END renews into the new plan',
  })
  changePlan(
    @Arg('membershipId', () => ID) membershipId: string,
    @Arg('planCode', () => String) planCode: string,
    @Arg('timing', () => PlanChangeTiming, { defaultValue: PlanChangeTiming.IMMEDIATELY }) timing: PlanChangeTiming,
    @Arg('expectedAmount', () => Int, { nullable: true, description: 'Minor units, as planChangeQuote.amountDue showed it' }) expectedAmount: number | null,
    @Ctx() ctx: RequestContext,
  ): Promise<Membership> {
    const member = requireMember(ctx.principal, 'changePlan');
    return ctx.services.memberships.changePlan(member.memberId, membershipId, planCode, timing, expectedAmount ?? undefined);
  }

  @FieldResolver(() => PlanType)
  async plan(@Root() membership: Pick<MembershipView, 'plan'>, @Ctx() ctx: RequestContext): Promise<Plan> {
    return (await ctx.loaders.planById.load(membership.plan.id))!;
  }

  @FieldResolver(() => PlanType, { nullable: true })
  async scheduledPlan(@Root() membership: Pick<MembershipView, 'nextPlan'>, @Ctx() ctx: RequestContext): Promise<Plan | null> {
    return membership.nextPlan ? ((await ctx.loaders.planById.load(membership.nextPlan.id)) ?? null) : null;
  }
}

@Resolver(() => MemberType)
export class MemberMembershipResolver {
  @FieldResolver(() => MembershipType, { nullable: true, description: 'The current membership (pending, trialing, active or past due); null when none' })
  membership(@Root() member: MemberView, @Ctx() ctx: RequestContext): Promise<MembershipView | null> {
    return ctx.services.memberships.currentView(member.id);
  }

  @FieldResolver(() => [PaymentType], { description: "The member's payments and receipts, newest first, with their refunds" })
  payments(@Root() member: MemberView, @Arg('first', () => Int, { defaultValue: 20 }) first: number, @Ctx() ctx: RequestContext): Promise<Payment[]> {
    new InputValidator().check(first >= 1 && first <= MAX_PAYMENTS, 'first', `must be between 1 and ${MAX_PAYMENTS}`).throwIfInvalid();
    return ctx.services.memberships.payments(member.id, first);
  }
}

@Resolver()
export class MembershipAdminResolver {
  @Query(() => RefundQuoteType, { description: "What refunding the member's own membership now would give back under its plan's policy" })
  refundQuote(@Arg('membershipId', () => ID) membershipId: string, @Ctx() ctx: RequestContext): Promise<RefundQuote> {
    const member = requireMember(ctx.principal, 'refundQuote');
    return ctx.services.memberships.refundQuote(member.memberId, membershipId);
  }

  @Query(() => RefundQuoteType, {
    description:
      "What refunding a membership now would give back (admins, support) under its plan's policy or `policy` (goodwill): the figure refundMembership's `expectedAmount` confirms",
  })
  membershipRefundQuote(
    @Arg('membershipId', () => ID) membershipId: string,
    @Arg('policy', () => RefundPolicy, { nullable: true, description: "Quote under this policy instead of the plan's" }) policy: RefundPolicy | null,
    @Ctx() ctx: RequestContext,
  ): Promise<RefundQuote> {
    requireCapability(ctx.principal, 'membershipRefundQuote', Capability.REFUND);
    return ctx.services.memberships.refundQuote(null, membershipId, policy ?? undefined);
  }

  @Query(() => PlanChangeQuoteType, { description: 'What changing the membership to another plan would cost now, or at the period end (the member\'s own)' })
  planChangeQuote(
    @Arg('membershipId', () => ID) membershipId: string,
    @Arg('planCode', () => String) planCode: string,
    @Arg('timing', () => PlanChangeTiming, { defaultValue: PlanChangeTiming.IMMEDIATELY }) timing: PlanChangeTiming,
    @Ctx() ctx: RequestContext,
  ): Promise<PlanChangeQuote> {
    const member = requireMember(ctx.principal, 'planChangeQuote');
    return ctx.services.memberships.planChangeQuote(member.memberId, membershipId, planCode, timing);
  }

  @Query(() => [MembershipEventType], { description: "A membership's timeline, oldest first (admins, support, finance)" })
  async membershipTimeline(@Arg('membershipId', () => ID) membershipId: string, @Ctx() ctx: RequestContext): Promise<Array<{ type: string; at: Date; details: string | null }>> {
    requireStaff(ctx.principal, 'membershipTimeline', [StaffRole.SUPPORT, StaffRole.FINANCE]);
    const events: MembershipEvent[] = await ctx.services.memberships.timeline(membershipId);
    return events.map((e) => ({ type: e.type, at: e.at, details: e.data ? JSON.stringify(e.data) : null }));
  }
}

@Resolver(() => PaymentType)
export class PaymentResolver {
  @FieldResolver(() => Money)
  amount(@Root() payment: Payment): Money {
    return { amount: payment.amount, currency: payment.currency };
  }

  @FieldResolver(() => Money)
  refunded(@Root() payment: Payment): Money {
    return { amount: payment.refundedAmount, currency: payment.currency };
  }

  @FieldResolver(() => String, { nullable: true })
  async planCode(@Root() payment: Payment, @Ctx() ctx: RequestContext): Promise<string | null> {
    return payment.plan ? ((await ctx.loaders.planById.load(payment.plan.id))?.code ?? null) : null;
  }

  @FieldResolver(() => Date)
  chargedAt(@Root() payment: Payment): Date {
    return payment.chargedAt ?? payment.createdAt;
  }

  @FieldResolver(() => [PaymentRefundType])
  async refunds(@Root() payment: Payment, @Ctx() ctx: RequestContext): Promise<Array<Omit<PaymentRefundType, 'amount'> & { amount: Money }>> {
    const refunds: PaymentRefund[] = (await ctx.services.memberships.refundsOf([payment.id])).get(payment.id) ?? [];
    return refunds.map((r) => ({ id: r.id, amount: { amount: r.amount, currency: r.currency }, status: r.status, reason: r.reason, requestedAt: r.requestedAt }));
  }
}
