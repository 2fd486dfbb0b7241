import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../platform/context.js';
import { requireStaff } from '../../platform/guards.js';
import { StaffRole } from '../../platform/principal.js';
import { localize } from '../../platform/localized.js';
import type { SegmentRunSummary } from './computation.js';
import type { MemberScoresView } from './segment.service.js';
import { MemberScoresType, MemberSegmentsType, SegmentDefinitionsType, SegmentMemberPageType, SegmentRecomputationType, SegmentType } from './segment.types.js';

const scores = (s: MemberScoresView): MemberScoresType => s;

function recomputation(run: SegmentRunSummary): SegmentRecomputationType {
  return {
    testClockId: run.testClockId,
    asOf: run.asOf,
    trigger: run.trigger,
    configVersion: run.configVersion,
    membersScored: run.members,
    entered: run.entered,
    left: run.left,
    counts: Object.entries(run.counts).map(([code, members]) => ({ code, members })),
    durationMs: run.durationMs,
  };
}

@Resolver()
export class SegmentResolver {
  @Query(() => [SegmentType], { description: 'Every segment, with its members now: on real time, or on one test clock (admins, product managers, analysts)' })
  async segments(@Arg('testClockId', () => ID, { nullable: true }) testClockId: string | null, @Ctx() ctx: RequestContext): Promise<SegmentType[]> {
    requireStaff(ctx.principal, 'segments', [StaffRole.PRODUCT_MANAGER, StaffRole.ANALYST]);
    const list = await ctx.services.segments.list(testClockId ?? null);
    return list.map((s) => ({ ...s, name: localize(s.name, ctx.locale), description: localize(s.description, ctx.locale) }));
  }

  @Query(() => SegmentDefinitionsType, { nullable: true, description: 'The segment definitions in force, as JSON, with their version; null when none is installed (admins, product managers, analysts)' })
  async segmentDefinitions(@Ctx() ctx: RequestContext): Promise<SegmentDefinitionsType | null> {
    requireStaff(ctx.principal, 'segmentDefinitions', [StaffRole.PRODUCT_MANAGER, StaffRole.ANALYST]);
    const snapshot = await ctx.services.segments.definitions();
    return snapshot && { version: snapshot.version, configJson: JSON.stringify(snapshot.config) };
  }

  @Query(() => SegmentMemberPageType, { description: "A segment's members now, by member id, with their scores (admins, product managers, analysts)" })
  async segmentMembers(
    @Arg('code', () => String) code: string,
    @Arg('first', () => Int, { defaultValue: 50, description: 'Page size, at most 200' }) first: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page' }) after: string | null,
    @Arg('testClockId', () => ID, { nullable: true, description: 'Members on this test clock; default: members on real time' }) testClockId: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<SegmentMemberPageType> {
    requireStaff(ctx.principal, 'segmentMembers', [StaffRole.PRODUCT_MANAGER, StaffRole.ANALYST]);
    const page = await ctx.services.segments.members(code, { first, after: after ?? null, testClockId: testClockId ?? null });
    return { ...page, members: page.members.map((m) => ({ ...m, scores: scores(m.scores) })) };
  }

  @Query(() => MemberSegmentsType, { description: "A member's scores, lifecycle stage and segments now (admins, product managers, support, analysts)" })
  async memberSegments(@Arg('memberId', () => ID) memberId: string, @Ctx() ctx: RequestContext): Promise<MemberSegmentsType> {
    requireStaff(ctx.principal, 'memberSegments', [StaffRole.PRODUCT_MANAGER, StaffRole.SUPPORT, StaffRole.ANALYST]);
    const view = await ctx.services.segments.ofMember(memberId);
    return { ...view, scores: view.scores ? scores(view.scores) : null, segments: view.segments.map((s) => ({ ...s, name: localize(s.name, ctx.locale) })) };
  }

  @Mutation(() => SegmentRecomputationType, {
    description: 'Computes the segments of the members on real time (or on one test clock, at its time) now, and says what it did (admins, product managers)',
  })
  async recomputeSegments(@Arg('testClockId', () => ID, { nullable: true }) testClockId: string | null, @Ctx() ctx: RequestContext): Promise<SegmentRecomputationType> {
    requireStaff(ctx.principal, 'recomputeSegments', [StaffRole.PRODUCT_MANAGER]);
    return recomputation(await ctx.services.segments.recompute(testClockId ?? null));
  }
}
