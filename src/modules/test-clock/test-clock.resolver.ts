import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../platform/context.js';
import { requireAdmin } from '../../platform/guards.js';
import type { TestClock } from './test-clock.entity.js';
import { TestClockType } from './test-clock.types.js';

@Resolver(() => TestClockType)
export class TestClockResolver {
  @Query(() => TestClockType, { description: 'A test clock (admins; development and tests only)' })
  testClock(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<TestClock> {
    requireAdmin(ctx.principal, 'testClock');
    return ctx.services.testClocks.get(id);
  }

  @Mutation(() => TestClockType, { description: 'Creates a test clock frozen at an instant (admins; refused in production with TEST_CLOCKS_DISABLED)' })
  createTestClock(
    @Arg('frozenTime', () => Date) frozenTime: Date,
    @Arg('name', () => String, { nullable: true }) name: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<TestClock> {
    requireAdmin(ctx.principal, 'createTestClock');
    return ctx.services.testClocks.create(frozenTime, name);
  }

  @Mutation(() => TestClockType, { description: 'Puts a fresh member (no membership, no activity yet) on a test clock, for good (admins)' })
  attachTestClock(
    @Arg('testClockId', () => ID) testClockId: string,
    @Arg('memberId', () => ID) memberId: string,
    @Ctx() ctx: RequestContext,
  ): Promise<TestClock> {
    requireAdmin(ctx.principal, 'attachTestClock');
    return ctx.services.testClocks.attach(testClockId, memberId);
  }

  @Mutation(() => TestClockType, {
    description: "Moves a test clock forward to `to` and returns once everything due for its members up to then has run, each at its own time (admins)",
  })
  advanceTestClock(
    @Arg('testClockId', () => ID) testClockId: string,
    @Arg('to', () => Date) to: Date,
    @Ctx() ctx: RequestContext,
  ): Promise<TestClock> {
    requireAdmin(ctx.principal, 'advanceTestClock');
    return ctx.services.testClocks.advance(testClockId, to);
  }
}
