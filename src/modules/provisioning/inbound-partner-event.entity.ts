import type { Opt } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/** A signed event a partner sent us, by its webhook id: each is applied once. */
@Entity({ tableName: 'inbound_partner_event' })
// A member's data export and erasure find the events about their rights by it.
@Index({
  name: 'inbound_partner_event_entitlement_id_index',
  expression: `create index "inbound_partner_event_entitlement_id_index" on "inbound_partner_event" (("body" ->> 'entitlementId'))`,
})
export class InboundPartnerEvent {
  @PrimaryKey({ type: 'text' })
  id!: string;

  @PrimaryKey({ type: 'text' })
  partnerId!: string;

  @Property({ type: 'text' })
  type!: string;

  @Property({ type: 'json' })
  body!: Record<string, unknown>;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  receivedAt: Opt<Date> = new Date();
}
