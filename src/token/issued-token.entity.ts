import type { Opt, Rel } from '@mikro-orm/core';
import { Check, Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Entitlement } from '../entitlement/entitlement.entity.js';

/**
 * Every entitlement token issued, by `jti`: what revocation and audits start from. Each
 * holds a random, never reused entry of its partner's status list; `status` is the entry's
 * value (0 VALID, 1 INVALID), flipped by the database when the entitlement is revoked,
 * suspended or ends.
 */
@Entity({
  tableName: 'issued_token',
  // A flipped entry moves its list's revision: servers re-sign a list whose cached copy is stale.
  triggers: [
    {
      name: 'status_list_revision',
      timing: 'after',
      events: ['update'],
      forEach: 'row',
      // As PostgreSQL prints it back, so that migration:check sees no difference.
      when: '((old.status IS DISTINCT FROM new.status) AND (new.status_list_ordinal IS NOT NULL))',
      body: `update status_list set revision = revision + 1
  where partner_id = new.partner_id and ordinal = new.status_list_ordinal;
  return null;`,
    },
  ],
})
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
}
