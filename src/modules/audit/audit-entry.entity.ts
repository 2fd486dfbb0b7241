import { randomUUID } from 'node:crypto';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * One audited change: who (`actor`), what (`action` on `subject`), the state before and
 * after, and the request it came from. Append-only and hash-chained: `hash` covers the
 * row and `prevHash` (the hash of row `seq - 1`), so editing or removing any row breaks
 * every hash after it. Rows are written only by {@link AuditLog.append}.
 */
@Entity({
  tableName: 'audit_log',
  // The database itself refuses UPDATE and DELETE: the log is only ever appended to. (No
  // TRUNCATE trigger: MikroORM's schema diff cannot see one, so migration:check would fail.)
  triggers: [
    {
      name: 'append_only',
      timing: 'before',
      events: ['update', 'delete'],
      forEach: 'row',
      body: `raise exception 'audit_log is append-only' using errcode = 'restrict_violation';`,
    },
  ],
})
export class AuditEntry {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** 1, 2, 3, … without gaps: appends are serialized, so the order is the chain's order. */
  @Property({ type: 'bigint', unique: 'audit_log_seq_unique' })
  seq!: string;

  @Property({ type: 'datetime' })
  at!: Date;

  /** `member:<id>`, `admin:<member id>`, `partner:<id>` or `system`. Indexed: a member's data export finds their rows by it. */
  @Property({ type: 'text', index: 'audit_log_actor_index' })
  actor!: string;

  /** `<thing>.<verb>`, e.g. `redemption.create`, `partner_api_key.revoke`. */
  @Property({ type: 'text', index: 'audit_log_action_index' })
  action!: string;

  /** The id of what changed, e.g. a redemption id, an API key id, a partner id. */
  @Property({ type: 'text', index: 'audit_log_subject_index' })
  subject!: string;

  @Property({ type: 'json', nullable: true })
  before: unknown = null;

  @Property({ type: 'json', nullable: true })
  after: unknown = null;

  @Property({ type: 'text', nullable: true })
  requestId: string | null = null;

  @Property({ type: 'text' })
  prevHash!: string;

  @Property({ type: 'text' })
  hash!: string;
}
