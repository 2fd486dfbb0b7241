import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppDependencies, DueWorkRunner, MemberClocks } from '../../platform/context.js';
import { AppError, InputValidator } from '../../platform/errors.js';
import { isUuid } from '../../platform/loader.js';
import { Member } from '../member/index.js';
import { Membership } from '../membership/index.js';
import { TestClock, TestClockMember } from './test-clock.entity.js';
import { TestClockError } from './test-clock.errors.js';

const MAX_NAME_LENGTH = 100;
/** One advance moves a clock at most this far (advance again for more): bounds the work of one request. */
export const MAX_ADVANCE_YEARS = 5;
/** More steps than this in one advance means due work that never moves on: stopped loudly. */
const MAX_STEPS = 100_000;

/** How long a process trusts what it read of a member's clock (which clock; never its time, read fresh). */
const CLOCK_OF_MEMBER_TTL_MS = 5_000;
const MAX_CACHED = 50_000;
const clockOfMember = new Map<string, { clockId: string | null; joinedAt: Date | null; until: number }>();

/**
 * Members' clocks as the rest of the core reads them (the `memberClocks` dependency): which clock
 * a member is on is cached for a few seconds (a member joins a clock once, before doing
 * anything, and never leaves it; attaching in this process updates it at once), so a member on
 * real time costs no query; a clock's time is read fresh each time.
 */
export const testClocks: MemberClocks = {
  async of(em, memberId) {
    const cached = clockOfMember.get(memberId);
    if (cached && cached.until > Date.now()) {
      if (!cached.clockId) return null;
      const [clock] = await em.execute<{ frozen_time: Date }[]>(`select frozen_time from test_clock where id = ?`, [cached.clockId]);
      return clock ? { clockId: cached.clockId, now: new Date(clock.frozen_time), joinedAt: cached.joinedAt } : null;
    }
    const [row] = await em.execute<{ id: string; frozen_time: Date; joined_at: Date | null }[]>(
      `select c.id, c.frozen_time, coalesce(tm.joined_at, c.created_at) as joined_at from test_clock_member tm join test_clock c on c.id = tm.test_clock_id where tm.member_id = ?`,
      [memberId],
    );
    remember(memberId, row?.id ?? null, row?.joined_at ? new Date(row.joined_at) : null);
    return row ? { clockId: row.id, now: new Date(row.frozen_time), joinedAt: new Date(row.joined_at!) } : null;
  },
};

function remember(memberId: string, clockId: string | null, joinedAt: Date | null): void {
  if (clockOfMember.size >= MAX_CACHED) clockOfMember.clear();
  clockOfMember.set(memberId, { clockId, joinedAt, until: Date.now() + CLOCK_OF_MEMBER_TTL_MS });
}

/**
 * Test clocks (admins, outside production): create one frozen at an instant, attach fresh
 * members, and advance it; the advance steps from one due instant to the next, running
 * everything due for the clock's members at each (reminders, renewals, retries, grace,
 * trial ends, months of rights), and returns once all of it up to the target has run.
 */
export class TestClockService {
  constructor(
    private readonly em: EntityManager,
    private readonly deps: Pick<AppDependencies, 'memberClocks' | 'dueWork'>,
  ) {}

  private runner(): DueWorkRunner {
    if (!this.deps.memberClocks || !this.deps.dueWork) throw TestClockError.disabled();
    return this.deps.dueWork;
  }

  async get(clockId: string): Promise<TestClock> {
    this.runner();
    const clock = isUuid(clockId) ? await this.em.findOne(TestClock, { id: clockId }, { refresh: true }) : null;
    if (!clock) throw AppError.notFound('TestClock', clockId);
    return clock;
  }

  async create(frozenTime: Date, name: string | null | undefined): Promise<TestClock> {
    this.runner();
    const label = name?.trim() || `clock ${frozenTime.toISOString()}`;
    new InputValidator()
      .check(!Number.isNaN(frozenTime.getTime()), 'frozenTime', 'must be a valid instant')
      .check(label.length <= MAX_NAME_LENGTH, 'name', `must be at most ${MAX_NAME_LENGTH} characters`)
      .throwIfInvalid();
    const clock = this.em.create(TestClock, { name: label, frozenTime });
    await this.em.flush();
    return clock;
  }

  /** Attaches a fresh member (no membership, no activity, no other clock); attaching again to the same clock changes nothing. */
  async attach(clockId: string, memberId: string): Promise<TestClock> {
    const clock = await this.get(clockId);
    const member = isUuid(memberId) ? await this.em.findOne(Member, { id: memberId, erasedAt: null }) : null;
    if (!member) throw AppError.notFound('Member', memberId);
    const existing = await this.em.findOne(TestClockMember, { member: memberId });
    if (existing) {
      if (existing.testClock.id === clock.id) return clock;
      throw TestClockError.memberNotFresh(memberId, 'it is on another test clock');
    }
    if ((await this.em.count(Membership, { member: memberId })) > 0) throw TestClockError.memberNotFresh(memberId, 'it already has a membership');
    try {
      await this.em.insert(TestClockMember, { member: memberId, testClock: clock.id, joinedAt: clock.frozenTime });
      remember(memberId, clock.id, clock.frozenTime);
    } catch (error) {
      // A concurrent attach of the same member won: answer as a repeat would.
      const winner = await this.em.fork().findOne(TestClockMember, { member: memberId });
      if (winner?.testClock.id === clock.id) return clock;
      if (winner) throw TestClockError.memberNotFresh(memberId, 'it is on another test clock');
      throw error;
    }
    return clock;
  }

  /**
   * Moves the clock to `to`, stepping through every instant something is due for its members
   * and running it there, so a reminder runs at the reminder's time and a retry at the
   * retry's. Advances of one clock run one at a time (a transaction-scoped advisory lock);
   * the clock's time is committed at each step, so what its members do meanwhile happens at
   * that step's time.
   */
  async advance(clockId: string, to: Date): Promise<TestClock> {
    const runner = this.runner();
    const clock = await this.get(clockId);
    const limit = new Date(clock.frozenTime);
    limit.setUTCFullYear(limit.getUTCFullYear() + MAX_ADVANCE_YEARS);
    new InputValidator()
      .check(!Number.isNaN(to.getTime()), 'to', 'must be a valid instant')
      .check(to >= clock.frozenTime, 'to', `must not be before the clock's time (${clock.frozenTime.toISOString()}): clocks only move forward`)
      .check(to <= limit, 'to', `must be at most ${MAX_ADVANCE_YEARS} years after the clock's time; advance in steps`)
      .throwIfInvalid();
    await this.em.fork().transactional(async (tx) => {
      await tx.execute(`select pg_advisory_xact_lock(hashtext(?))`, [`test-clock:${clock.id}`]);
      const [row] = await tx.execute<{ frozen_time: Date }[]>(`select frozen_time from test_clock where id = ?`, [clock.id]);
      let current = new Date(row!.frozen_time);
      // The schedule read after each step's work is the next step's: idle due work is not asked again at every step.
      let schedule = await runner.schedule(clock.id);
      for (let step = 0; ; step++) {
        if (step > MAX_STEPS) throw new Error(`test clock ${clock.id}: more than ${MAX_STEPS} steps before ${to.toISOString()}`);
        const due = schedule.next;
        const next = due && due < to ? (due > current ? due : current) : to;
        if (next > current) {
          await this.em.fork().execute(`update test_clock set frozen_time = ? where id = ?`, [next, clock.id]);
          current = next;
        }
        // At the target, read afresh: whatever members did meanwhile that is due by then runs before the advance returns.
        if (current >= to) {
          await runner.runScheduled(clock.id, current, await runner.schedule(clock.id));
          break;
        }
        schedule = await runner.runScheduled(clock.id, current, schedule);
      }
    });
    return this.get(clock.id);
  }
}
