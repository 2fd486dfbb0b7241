import { randomUUID } from 'node:crypto';
import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';

/**
 * One audited change: who (`actor`), what (`action` on `subject`), the state before and
 * after, and the request it came from. Append-only and hash-chained, in independent chains
 * (one per transaction, see {@link AuditLog.append}): `hash` covers the row, its chain and
 * `prevHash` (the hash of row `seq - 1` of the same chain), so editing or removing any row
 * breaks every hash after it in its chain. New rows are HMAC-ed under a key kept outside the
 * database (`keyId`); legacy rows (chain 0, no key id) are plain SHA-256. Rows are written
 * only by {@link AuditLog.append}.
 */
@Unique({ name: 'audit_log_chain_seq_unique', properties: ['chain', 'seq'] })
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

  /**
   * Which chain the row belongs to (0 to AUDIT_CHAINS - 1). Legacy rows, written before there
   * were chains, are chain 0. No default: a writer that does not choose a chain fails.
   */
  @Property({ type: 'smallint' })
  chain!: number;

  /** 1, 2, 3, … without gaps within a chain: appends to one chain are serialized, so the order is the chain's order. */
  @Property({ type: 'bigint' })
  seq!: string;

  @Property({ type: 'datetime' })
  at!: Date;

  /** `member:<id>`, `admin:<member id>`, `support:<member id>` (other staff alike), `partner:<id>`, `channel:<channel>`, `operator:<OS user>` or `system`. Indexed: a member's data export finds their rows by it. */
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

  /** The HMAC key the row is under (first 16 hex of the key's SHA-256); null for a legacy plain-SHA-256 row. */
  @Property({ type: 'text', nullable: true })
  keyId: string | null = null;

  /** HMAC-SHA256 under `keyId` (or, for a legacy row, plain SHA-256) of the row's fields and `prevHash`. */
  @Property({ type: 'text' })
  hash!: string;
}
