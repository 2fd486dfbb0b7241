import { randomUUID } from 'node:crypto';
import type { Opt, Rel } from '@mikro-orm/core';
import { Check, Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Entitlement } from '../entitlement/index.js';
import { Partner } from '../partner/index.js';

/**
 * One accepted use of an entitlement by a partner. Append-only: a row is never updated
 * or deleted (a mistaken one is compensated by a `redemption_void` row). The token's
 * `jti` is unique, so a token is redeemed at most once; the partner's idempotency key is
 * unique per partner.
 */
@Entity({
  tableName: 'redemption',
  // The database itself refuses UPDATE and DELETE: history is corrected by new rows only.
  triggers: [
    {
      name: 'append_only',
      timing: 'before',
      events: ['update', 'delete'],
      forEach: 'row',
      body: `raise exception 'redemption is append-only' using errcode = 'restrict_violation';`,
    },
  ],
})
@Unique({ name: 'redemption_partner_idempotency_key', properties: ['partner', 'idempotencyKey'] })
// A token is redeemed once: its jti is one member's, so naming the member changes nothing but the shard (docs/citus.md).
@Unique({ name: 'redemption_token_jti_unique', properties: ['tokenJti', 'memberId'] })
@Index({ properties: ['entitlement'] })
// The partner's history, newest first: keyset pagination on (created_at, id).
@Index({ properties: ['partner', 'createdAt', 'id'] })
@Check({ name: 'redemption_units_positive', expression: 'units > 0' })
export class Redemption {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne({ entity: () => Entitlement })
  entitlement!: Rel<Entitlement>;

  /** The entitlement's member: the Citus distribution column (docs/citus.md); no foreign key of its own, the entitlement's is the one. */
  @Property({ type: 'uuid' })
  memberId!: string;

  @ManyToOne({ entity: () => Partner })
  partner!: Rel<Partner>;

  @Property({ type: 'integer' })
  units!: number;

  @Property({ type: 'text' })
  tokenJti!: string;

  @Property({ type: 'text' })
  idempotencyKey!: string;

  /** SHA-256 of the request (token and units): a repeated key with other data is a conflict. */
  @Property({ type: 'text' })
  requestHash!: string;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();
}
