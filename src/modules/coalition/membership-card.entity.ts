import type { Opt, Rel } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Member } from '../member/index.js';
import { Partner } from '../partner/index.js';

/**
 * A membership card token we issued: its id (`jti`) tells us whose card a partner scanned (the
 * token itself carries only the member's pseudonym for that partner).
 */
@Entity({ tableName: 'membership_card' })
@Index({ properties: ['member', 'issuedAt'] })
export class MembershipCard {
  @PrimaryKey({ type: 'text' })
  jti!: string;

  // Part of the primary key, (jti, member_id): a member-sharded table's keys include the member.
  // A scanned card is still found by its jti alone, on every shard (docs/citus.md).
  @ManyToOne({ entity: () => Member, primary: true })
  member!: Rel<Member>;

  @ManyToOne({ entity: () => Partner })
  partner!: Rel<Partner>;

  @Property({ type: 'text' })
  kid!: string;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  issuedAt: Opt<Date> = new Date();

  @Property({ type: 'datetime' })
  expiresAt!: Date;
}
