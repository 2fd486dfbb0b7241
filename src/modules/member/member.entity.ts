import { randomUUID } from 'node:crypto';
import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import type { Opt } from '@mikro-orm/core';

/** What an erased member's `issuer` becomes: no identity provider issues it. */
export const ERASED_ISSUER = 'urn:coalition:erased';

/**
 * A person in the program, keyed by their identity provider's (`iss`, `sub`). Erasure
 * (src/privacy) keeps the row, so ledgers and foreign keys hold, but replaces `issuer` by
 * {@link ERASED_ISSUER} and `subject` by the member's own id: nothing links it to the
 * person any more, and the same person signing in again becomes a new member.
 */
@Entity({ tableName: 'member' })
@Unique({ properties: ['issuer', 'subject'] })
// Support finds a member by their sign-in subject without knowing the issuer (memberLookup).
@Index({ properties: ['subject'] })
export class Member {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' })
  issuer!: string;

  @Property({ type: 'text' })
  subject!: string;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();

  /** When the member's personal data was erased; null while they are a member. */
  @Property({ type: 'datetime', nullable: true })
  erasedAt?: Date | null;
}
