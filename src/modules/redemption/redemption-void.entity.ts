import { randomUUID } from 'node:crypto';
import type { Opt, Rel } from '@mikro-orm/core';
import { Check, Entity, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Redemption } from './redemption.entity.js';
import { Partner } from '../partner/index.js';

/**
 * The compensating entry of a redemption its partner voided (a mistaken scan): the
 * redemption row itself is never edited. At most one per redemption; append-only like the
 * redemptions it compensates. Voiding gives the units back to the entitlement, not the
 * token: a token stays consumed.
 */
@Entity({
  tableName: 'redemption_void',
  triggers: [
    {
      name: 'append_only',
      timing: 'before',
      events: ['update', 'delete'],
      forEach: 'row',
      body: `raise exception 'redemption_void is append-only' using errcode = 'restrict_violation';`,
    },
  ],
})
@Unique({ name: 'redemption_void_redemption_unique', properties: ['redemption', 'memberId'] })
@Check({ name: 'redemption_void_reason_not_empty', expression: "length(btrim(reason)) > 0" })
export class RedemptionVoid {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne({ entity: () => Redemption })
  redemption!: Rel<Redemption>;

  /** The redemption's member: the Citus distribution column (docs/citus.md). Part of the primary key, (id, member_id). */
  @PrimaryKey({ type: 'uuid' })
  memberId!: string;

  /** The partner that voided it: always the redemption's own partner. */
  @ManyToOne({ entity: () => Partner })
  partner!: Rel<Partner>;

  @Property({ type: 'text' })
  reason!: string;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();
}
