import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Principal } from '../../platform/principal.js';
import { InputValidator } from '../../platform/errors.js';

/** Who asked for a change and in which request: what every audited service method takes. */
export interface AuditContext {
  /** `member:<id>`, `admin:<member id>`, `partner:<id>`, `operator:<OS user>` (commands) or `system`. */
  actor: string;
  /** The request's `x-request-id`; null for work no request asked for. */
  requestId: string | null;
}

const MAX_REASON_LENGTH = 500;

/**
 * A reason someone gives for an audited change (a void, a revocation, an erasure), trimmed:
 * BAD_USER_INPUT when empty or over 500 characters. It is kept in the audit log for good.
 */
export function auditReason(reason: string): string {
  const why = reason.trim();
  new InputValidator()
    .check(why.length > 0, 'reason', 'must not be empty')
    .check(why.length <= MAX_REASON_LENGTH, 'reason', `must be at most ${MAX_REASON_LENGTH} characters`)
    .throwIfInvalid();
  return why;
}

/** Changes made by the process itself (start-up, scripts, jobs). */
export const SYSTEM_AUDIT: AuditContext = { actor: 'system', requestId: null };

/** The audit context of a request, from its principal and request id. */
export function auditContextOf(request: { principal: Principal; requestId: string }): AuditContext {
  const { principal } = request;
  const actor =
    principal.kind === 'partner'
      ? `partner:${principal.partnerId}`
      : principal.kind === 'member'
        ? `${principal.isAdmin ? 'admin' : 'member'}:${principal.memberId}`
        : 'anonymous';
  return { actor, requestId: request.requestId };
}

/** What a caller records; the log adds seq, time and the hashes. */
export interface AuditRecord {
  action: string;
  subject: string;
  /** JSON-able state before the change; null for a creation. Never secrets. */
  before?: unknown;
  /** JSON-able state after the change; null for a removal. Never secrets. */
  after?: unknown;
}

/** The hashed fields of one row, as they are stored. */
export interface ChainedFields {
  seq: number;
  at: Date;
  actor: string;
  action: string;
  subject: string;
  before: unknown;
  after: unknown;
  requestId: string | null;
  prevHash: string;
}

/** The `prev_hash` of the first row. */
export const GENESIS_HASH = '0'.repeat(64);

// A fixed advisory-lock key ("audt"): every append in this database takes the same one.
const CHAIN_LOCK_KEY = 0x61756474;

/** JSON with object keys sorted at every level, so equal values hash equally (jsonb reorders keys). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** SHA-256 (hex) over the canonical JSON of a row's chained fields. */
export function auditHash(fields: ChainedFields): string {
  const canonical = canonicalJson({
    seq: fields.seq,
    at: fields.at.toISOString(),
    actor: fields.actor,
    action: fields.action,
    subject: fields.subject,
    before: fields.before,
    after: fields.after,
    request_id: fields.requestId,
    prev_hash: fields.prevHash,
  });
  return createHash('sha256').update(canonical).digest('hex');
}

/** As it will read back from jsonb: dates become ISO strings, undefined fields vanish. */
function asStored(value: unknown): unknown {
  return value === undefined ? null : JSON.parse(JSON.stringify(value));
}

/**
 * The audit log: one hash-chained row per audited change, written in the caller's
 * transaction so the change and its row commit or roll back together.
 */
export const AuditLog = {
  /**
   * Appends one row. MUST be called inside the caller's transaction (`em` from
   * `em.transactional`), as its last statement: the chain lock it takes is held until
   * commit, and taking it last means its holder never waits on another lock.
   */
  async append(em: EntityManager, context: AuditContext, record: AuditRecord): Promise<void> {
    if (!em.isInTransaction()) throw new Error('AuditLog.append must run inside the transaction of the change it records');
    // Serializes appends until commit: each row links to the one committed just before it.
    await em.execute('select pg_advisory_xact_lock(?)', [CHAIN_LOCK_KEY]);
    const [last] = await em.execute<{ seq: string; hash: string }[]>('select seq, hash from audit_log order by seq desc limit 1');
    const fields: ChainedFields = {
      seq: last ? Number(last.seq) + 1 : 1,
      at: new Date(),
      actor: context.actor,
      action: record.action,
      subject: record.subject,
      before: asStored(record.before),
      after: asStored(record.after),
      requestId: context.requestId,
      prevHash: last?.hash ?? GENESIS_HASH,
    };
    await em.execute(
      `insert into audit_log (id, seq, at, actor, action, subject, before, after, request_id, prev_hash, hash)
       values (gen_random_uuid(), ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?, ?)`,
      [
        fields.seq,
        fields.at,
        fields.actor,
        fields.action,
        fields.subject,
        fields.before === null ? null : JSON.stringify(fields.before),
        fields.after === null ? null : JSON.stringify(fields.after),
        fields.requestId,
        fields.prevHash,
        auditHash(fields),
      ],
    );
  },
};

/** The outcome of {@link verifyAuditChain}. */
export type AuditChainReport =
  | { intact: true; entries: number }
  | { intact: false; entries: number; brokenSeq: number; reason: string };

/**
 * Walks the log in `seq` order and recomputes every hash: the first row whose seq, link or
 * hash does not match is reported (a tampered row, a removed one, a reordering).
 */
export async function verifyAuditChain(em: EntityManager, batchSize = 1000): Promise<AuditChainReport> {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  for (;;) {
    const rows = await em.execute<
      { seq: string; at: Date; actor: string; action: string; subject: string; before: unknown; after: unknown; request_id: string | null; prev_hash: string; hash: string }[]
    >(
      `select seq, at, actor, action, subject, before, after, request_id, prev_hash, hash
       from audit_log where seq >= ? order by seq limit ?`,
      [expectedSeq, batchSize],
    );
    for (const row of rows) {
      const seq = Number(row.seq);
      const broken = (reason: string): AuditChainReport => ({ intact: false, entries: expectedSeq - 1, brokenSeq: seq, reason });
      if (seq !== expectedSeq) return { intact: false, entries: expectedSeq - 1, brokenSeq: expectedSeq, reason: `row ${expectedSeq} is missing` };
      if (row.prev_hash !== prevHash) return broken('prev_hash does not match the hash of the row before');
      const recomputed = auditHash({
        seq,
        at: new Date(row.at),
        actor: row.actor,
        action: row.action,
        subject: row.subject,
        before: row.before,
        after: row.after,
        requestId: row.request_id,
        prevHash: row.prev_hash,
      });
      if (recomputed !== row.hash) return broken('hash does not match the row');
      prevHash = row.hash;
      expectedSeq += 1;
    }
    if (rows.length < batchSize) return { intact: true, entries: expectedSeq - 1 };
  }
}
