import type { Opt, Rel } from '@mikro-orm/core';
import { Check, Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Entitlement } from '../entitlement/index.js';

/**
 * Every entitlement token issued, by `jti`: what revocation and audits start from. Each
 * holds a random, never reused entry of its partner's status list; `status` is the entry's
 * value (0 VALID, 1 INVALID), flipped by the database when the entitlement is revoked,
 * suspended or ends.
 */
@Entity({ tableName: 'issued_token' })
@Unique({ name: 'issued_token_status_entry_unique', properties: ['partnerId', 'statusListOrdinal', 'statusIdx'] })
@Index({ properties: ['entitlement'] })
@Index({
  name: 'issued_token_status_invalid',
  expression:
    'create index "issued_token_status_invalid" on "issued_token" ("partner_id", "status_list_ordinal", "status_idx") where "status" <> 0',
})
@Check({ name: 'issued_token_status_value', expression: 'status in (0, 1)' })
export class IssuedToken {
  @PrimaryKey({ type: 'text' })
  jti!: string;

  @ManyToOne({ entity: () => Entitlement })
  entitlement!: Rel<Entitlement>;

  /**
   * The entitlement's member: the Citus distribution column (docs/citus.md); no foreign key of
   * its own, the entitlement's is the one. Part of the primary key, (jti, member_id).
   */
  @PrimaryKey({ type: 'uuid' })
  memberId!: string;

  @Property({ type: 'text' })
  partnerId!: string;

  @Property({ type: 'text' })
  kid!: string;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  issuedAt: Opt<Date> = new Date();

  @Property({ type: 'datetime' })
  expiresAt!: Date;

  /** The partner's status list holding this token's entry (null for tokens issued before lists). */
  @Property({ type: 'integer', nullable: true })
  statusListOrdinal?: number;

  @Property({ type: 'integer', nullable: true })
  statusIdx?: number;

  @Property({ type: 'smallint', defaultRaw: '0' })
  status: Opt<number> = 0;

  @Property({ type: 'datetime', nullable: true })
  statusChangedAt?: Date;

  /** When a redemption consumed it (a token is presented once); null while unused. */
  @Property({ type: 'datetime', nullable: true })
  redeemedAt?: Date | null;
}
