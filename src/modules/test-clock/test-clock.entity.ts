import { randomUUID } from 'node:crypto';
import type { Opt, Rel } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, OneToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Member } from '../member/index.js';

/**
 * A clock frozen at an instant that an admin moves forward (as Stripe Billing has them),
 * outside production only: everything time-driven for its members runs as of its time.
 */
@Entity({ tableName: 'test_clock' })
export class TestClock {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' })
  name!: string;

  /** The clock's "now": its members live at this instant until it is advanced. */
  @Property({ type: 'datetime' })
  frozenTime!: Date;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();
}

/** A member living on a test clock (attached while fresh, for good). */
@Entity({ tableName: 'test_clock_member' })
@Index({ properties: ['testClock'] })
export class TestClockMember {
  @OneToOne({ entity: () => Member, primary: true, owner: true, updateRule: 'no action' })
  member!: Rel<Member>;

  @ManyToOne({ entity: () => TestClock })
  testClock!: Rel<TestClock>;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  attachedAt: Opt<Date> = new Date();

  /** The clock's time when the member was attached: when they joined, as everything on the clock sees it. */
  @Property({ type: 'datetime', nullable: true })
  joinedAt?: Date | null;
}
