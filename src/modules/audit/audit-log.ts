import type { SqlTransaction, Statement } from '../../platform/sql.js';
import { STAFF_ROLE_NAMES, STAFF_ROLES, type MemberPrincipal, type Principal, type StaffRole } from '../../platform/principal.js';
import { InputValidator } from '../../platform/errors.js';
import type { AppConfig } from '../../platform/config.js';
import { auditHmac, GENESIS_HASH, type KeyedChainedFields } from './audit-hash.js';
import { auditKeySourceOf, loadAuditKeyring, type AuditKey, type AuditKeyring } from './audit-keyring.js';

/** Who asked for a change and in which request: what every audited service method takes. */
export interface AuditContext {
  /**
   * `member:<id>`, `admin:<member id>`, other staff as their roles' short names and member id
   * (`support:<id>`, `pm+support:<id>`: {@link staffActor}), `partner:<id>`, `channel:<channel>`,
   * `operator:<OS user>` (commands) or `system`.
   */
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
      : principal.kind === 'channel'
        ? `channel:${principal.channel}`
        : principal.kind === 'member'
          ? staffActor(principal)
          : 'anonymous';
  return { actor, requestId: request.requestId };
}

/**
 * How a member acting under their JWT is named in the log: `admin:<id>` for an admin (whatever
 * else they hold); otherwise the short names of their staff roles in {@link STAFF_ROLES} order,
 * joined by `+` (`support:<id>`, `support+finance:<id>`); `member:<id>` without any.
 */
function staffActor(principal: Pick<MemberPrincipal, 'memberId' | 'isAdmin' | 'staffRoles'>): string {
  const roles = principal.isAdmin ? [STAFF_ROLE_NAMES.ADMIN] : principal.staffRoles.map((role) => STAFF_ROLE_NAMES[role]);
  return `${roles.length ? roles.join('+') : 'member'}:${principal.memberId}`;
}

/** Every actor a member may have been logged as, with or without staff roles: what their data export looks up. */
export function actorsOfMember(memberId: string): string[] {
  const others = STAFF_ROLES.filter((role) => role !== 'ADMIN');
  // Every combination of the non-admin roles (2^4 of them, the empty one being a plain member).
  const combinations = Array.from({ length: 1 << others.length }, (_, mask) => others.filter((_, i) => mask & (1 << i)));
  return [
    `${STAFF_ROLE_NAMES.ADMIN}:${memberId}`,
    ...combinations.map((staffRoles: StaffRole[]) => staffActor({ memberId, isAdmin: false, staffRoles })),
  ];
}

/** What a caller records; the log adds chain, seq, time, key id and the hashes. */
export interface AuditRecord {
  action: string;
  subject: string;
  /** JSON-able state before the change; null for a creation. Never secrets. */
  before?: unknown;
  /** JSON-able state after the change; null for a removal. Never secrets. */
  after?: unknown;
}

/**
 * How many independent hash chains new rows spread over. A transaction appends to chain
 * `hashtext(its xid) & (AUDIT_CHAINS - 1)`; the verifier discovers chains from the data, so
 * changing this later strands nothing.
 */
export const AUDIT_CHAINS = 32;

// Advisory-lock namespace ("audt"), two-key form: (AUDIT_LOCK_NAMESPACE, chain) is one chain's lock.
const AUDIT_LOCK_NAMESPACE = 0x61756474;

// The chain of the current transaction, from its own transaction id: every row of one
// transaction lands on one chain, so a transaction never holds two chain locks.
const CHAIN_OF_TRANSACTION = `(hashtext(pg_current_xact_id()::text) & ${AUDIT_CHAINS - 1})`;

let keyring: AuditKeyring | undefined;

/** Options of {@link configureAuditLog}. */
export interface AuditLogOptions {
  /** The keys: new rows are HMAC-ed under `keyring.current`; the verifier also accepts the older ones. */
  keyring: AuditKeyring;
}

/**
 * Sets the audit log's keys for this process, once at start-up (`openCore`, the CLI
 * commands that write audited changes). Configuring again with the same current key adds
 * the older keys it brings; a different current key throws, so two parts of one process
 * can never write rows under different keys.
 *
 * @throws Error when the keyring has no current key, or a different current key is already configured.
 */
export function configureAuditLog(options: AuditLogOptions): void {
  const next = options.keyring;
  if (!next.current) throw new Error('configureAuditLog needs a current key (AUDIT_HMAC_KEY or $DATA_DIR/secrets/audit.key)');
  if (keyring?.current && keyring.current.id !== next.current.id) {
    throw new Error(
      `The audit log of this process already writes under key ${keyring.current.id}; refusing a second, different key ${next.current.id} ` +
        '(every app in one process must share one AUDIT_HMAC_KEY, or no verifier can check all their rows)',
    );
  }
  keyring = keyring ? keyring.merge(next) : next;
}

/**
 * Loads the audit keys of the process configuration (creating `$DATA_DIR/secrets/audit.key`
 * when neither it nor `AUDIT_HMAC_KEY` exists) and configures the audit log with them: what a
 * process that writes audited changes calls once at start-up.
 */
export async function openAuditLog(config: Pick<AppConfig, 'nodeEnv' | 'auditHmacKey' | 'auditHmacKeyFile' | 'auditHmacKeysOld'>): Promise<void> {
  configureAuditLog({ keyring: await loadAuditKeyring(auditKeySourceOf(config), { create: true }) });
}

/** The keyring {@link configureAuditLog} set in this process, if any (the verifier's default). */
export function configuredAuditKeyring(): AuditKeyring | undefined {
  return keyring;
}

function currentKey(): AuditKey {
  const key = keyring?.current;
  if (!key) {
    throw new Error(
      'The audit log has no key: call openAuditLog(config) (or configureAuditLog) at process start-up, ' +
        'before any audited write (openCore does)',
    );
  }
  return key;
}

/** As it will read back from jsonb: dates become ISO strings, undefined fields vanish. */
function asStored(value: unknown): unknown {
  return value === undefined ? null : JSON.parse(JSON.stringify(value));
}

/** @internal Options of {@link AuditLog.append} for tests. */
export interface AppendOptions {
  /** @internal Append to this chain instead of the transaction's own (tests of the locking). */
  chain?: number;
}

/** The chain lock's row: the chain taken and the transaction's isolation level. */
interface LockedChain {
  chain: number | string;
  isolation: string;
}
/** The chain's last row, if any. */
interface ChainHead {
  seq: string;
  hash: string;
}

function chainOf(options: AppendOptions): string {
  const pinned = options.chain;
  if (pinned === undefined) return CHAIN_OF_TRANSACTION;
  if (!(Number.isInteger(pinned) && pinned >= 0 && pinned < AUDIT_CHAINS)) {
    throw new TypeError(`chain must be an integer in [0, ${AUDIT_CHAINS}), got ${pinned}`);
  }
  return String(pinned);
}

/**
 * The audit log: one HMAC-chained row per audited change, written in the caller's
 * transaction so the change and its row commit or roll back together. Rows spread over
 * {@link AUDIT_CHAINS} independent chains, one per transaction, so audited writes of
 * different transactions rarely wait for each other.
 */
export const AuditLog = {
  /**
   * Appends one row to the chain of the caller's transaction. MUST be called inside the
   * caller's READ COMMITTED transaction (`em` from `em.transactional`), as its last
   * statements: the chain lock it takes is held until commit, and taking it last means its
   * holder never waits on another lock.
   *
   * @throws Error when called outside a transaction, in a snapshot isolation level, or before
   *   {@link configureAuditLog}.
   */
  async append(em: SqlTransaction, context: AuditContext, record: AuditRecord, options: AppendOptions = {}): Promise<void> {
    if (!em.isInTransaction()) throw new Error('AuditLog.append must run inside the transaction of the change it records');
    currentKey(); // No key: refused before any statement is sent.
    const [lock, head] = AuditLog.lockStatements(options);
    // The lock in a statement of its own: in READ COMMITTED the next statement's snapshot is
    // taken after the lock is granted, so it sees the row committed by the previous holder.
    const locked: LockedChain[] = await em.execute(lock.sql, lock.params);
    const last: ChainHead[] = await em.execute(head.sql, head.params);
    const insert = AuditLog.insertStatement(locked, last, context, record);
    await em.execute(insert.sql, insert.params);
  },

  /**
   * {@link append}'s first two statements, for a transaction that sends its statements in
   * batches (src/platform/db/pipelined-transaction.ts): the chain's lock, then its last row,
   * each a statement of its own (the second's snapshot is taken once the lock is granted), sent
   * after every other write of the transaction. Their rows go to {@link insertStatement}.
   */
  lockStatements(options: AppendOptions = {}): [Statement, Statement] {
    const chain = chainOf(options);
    return [
      {
        sql: `select c.chain, pg_advisory_xact_lock(?::int, c.chain)::text as locked, current_setting('transaction_isolation') as isolation
       from (select ${chain} as chain) c`,
        params: [AUDIT_LOCK_NAMESPACE],
      },
      { sql: `select seq, hash from audit_log where chain = ${chain} order by seq desc limit 1`, params: [] },
    ];
  },

  /**
   * The row's insert, chained to the head {@link lockStatements} read under the lock.
   *
   * @throws Error in a snapshot isolation level, or before {@link configureAuditLog}.
   */
  insertStatement(locked: readonly unknown[], head: readonly unknown[], context: AuditContext, record: AuditRecord): Statement {
    const key = currentKey();
    const [lock] = locked as readonly LockedChain[];
    if (lock!.isolation !== 'read committed') {
      throw new Error(`AuditLog.append needs a READ COMMITTED transaction, not ${lock!.isolation}: its snapshot would miss rows committed while it waited for the chain`);
    }
    const [last] = head as readonly ChainHead[];
    const fields: KeyedChainedFields = {
      chain: Number(lock!.chain),
      seq: last ? Number(last.seq) + 1 : 1,
      at: new Date(),
      actor: context.actor,
      action: record.action,
      subject: record.subject,
      before: asStored(record.before),
      after: asStored(record.after),
      requestId: context.requestId,
      prevHash: last?.hash ?? GENESIS_HASH,
      keyId: key.id,
    };
    return {
      sql: `insert into audit_log (id, chain, seq, at, actor, action, subject, before, after, request_id, prev_hash, key_id, hash)
       values (gen_random_uuid(), ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?, ?, ?)`,
      params: [
        fields.chain,
        fields.seq,
        fields.at,
        fields.actor,
        fields.action,
        fields.subject,
        fields.before === null ? null : JSON.stringify(fields.before),
        fields.after === null ? null : JSON.stringify(fields.after),
        fields.requestId,
        fields.prevHash,
        fields.keyId,
        auditHmac(key, fields),
      ],
    };
  },
};
