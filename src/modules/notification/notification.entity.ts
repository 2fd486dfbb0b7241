import { randomUUID } from 'node:crypto';
import type { Opt, Rel } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import type { LocalizedText } from '../../platform/localized.js';
import { Member } from '../member/index.js';

/**
 * A message to a member (a renewal reminder, a failed charge, an ending membership), in the
 * member's feed; member apps show it and push it on. Written by {@link import('./notifications.js').Notifications} alone.
 */
@Entity({ tableName: 'member_notification' })
@Index({ properties: ['member', 'at'] })
// Once per member and key (the member's id in it keeps it on the member's shard: docs/citus.md).
@Unique({ properties: ['member', 'dedupeKey'] })
export class MemberNotification {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  // Part of the primary key, (id, member_id): a member-sharded table's keys include the member (docs/citus.md).
  @ManyToOne({ entity: () => Member, primary: true })
  member!: Rel<Member>;

  /** What it is about, for apps that act on it: `membership.renewal_reminder`, `membership.past_due`, … */
  @Property({ type: 'text' })
  type!: string;

  /** When it was sent, on the member's clock. */
  @Property({ type: 'datetime' })
  at!: Date;

  @Property({ type: 'json' })
  title!: LocalizedText;

  @Property({ type: 'json' })
  body!: LocalizedText;

  /** The figures it states (amounts, dates), for apps that render it their own way. */
  @Property({ type: 'json', nullable: true })
  data?: Record<string, unknown> | null;

  /** Sent once per key: a job run again sends nothing twice. */
  @Property({ type: 'text', nullable: true })
  dedupeKey?: string | null;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();
}
