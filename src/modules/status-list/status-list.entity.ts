import type { Opt } from '@mikro-orm/core';
import { Check, Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/** OPEN: new tokens get an index in it (one per partner); SEALED: about half full, none added. */
export type StatusListState = 'OPEN' | 'SEALED';

/**
 * One of a partner's token status lists: `capacity` one-bit entries, published at
 * `<issuer>/.well-known/status-lists/<partner>/<ordinal>`. Its entries are the
 * `issued_token` rows naming it.
 */
@Entity({ tableName: 'status_list' })
@Index({
  name: 'status_list_one_open_per_partner',
  expression: `create unique index "status_list_one_open_per_partner" on "status_list" ("partner_id") where "state" = 'OPEN'`,
})
@Check({ name: 'status_list_state', expression: "state in ('OPEN', 'SEALED')" })
@Check({ name: 'status_list_capacity_positive', expression: 'capacity > 0' })
export class StatusList {
  @PrimaryKey({ type: 'text' })
  partnerId!: string;

  @PrimaryKey({ type: 'integer' })
  ordinal!: number;

  @Property({ type: 'integer' })
  capacity!: number;

  @Property({ type: 'text' })
  state: Opt<StatusListState> = 'OPEN';

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();

  @Property({ type: 'datetime', nullable: true })
  sealedAt?: Date;
}
