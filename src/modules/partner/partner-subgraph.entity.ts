import type { Opt } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * A subgraph a partner runs itself, registered at run time by an admin and composed into
 * the supergraph on top of the built-in ones, without a restart. Its SDL is kept as it was
 * when composition accepted it.
 */
@Entity({ tableName: 'partner_subgraph' })
export class PartnerSubgraph {
  /** One registered subgraph per partner. */
  @PrimaryKey({ type: 'text' })
  partnerId!: string;

  @Property({ type: 'text' })
  url!: string;

  @Property({ type: 'text' })
  sdl!: string;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  registeredAt: Opt<Date> = new Date();
}
