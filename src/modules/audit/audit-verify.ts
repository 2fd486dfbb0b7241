import type { EntityManager } from '@mikro-orm/postgresql';
import { auditHash, auditHmac, GENESIS_HASH } from './audit-hash.js';
import { AuditKeyring } from './audit-keyring.js';
import { configuredAuditKeyring } from './audit-log.js';

/** Where one chain first fails verification. */
export interface AuditChainBreak {
  chain: number;
  /** The first row that fails (for a missing row, the seq that should be there). */
  seq: number;
  reason: string;
}

/** One chain as {@link verifyAuditChain} found it. */
export interface AuditChainSummary {
  chain: number;
  /** Rows verified, up to the break if there is one. */
  entries: number;
  /** Of those, legacy rows (plain SHA-256, chain 0 before the log was keyed). */
  legacy: number;
  /** Of those, rows under an HMAC key. */
  keyed: number;
  /** The last verified row: recorded outside the database, it anchors the chain against truncation. */
  head: { seq: number; hash: string } | null;
  /** The first failing row; absent when the whole chain verifies. */
  broken?: { seq: number; reason: string };
}

/** The outcome of {@link verifyAuditChain}. */
export interface AuditChainReport {
  /** True when every chain verifies to its last row. */
  intact: boolean;
  /** Rows verified, over every chain. */
  entries: number;
  /** Every chain present in the table, by number. */
  chains: AuditChainSummary[];
  /** The first break of each broken chain. */
  breaks: AuditChainBreak[];
}

/** Options of {@link verifyAuditChain}. */
export interface VerifyAuditChainOptions {
  /** Keys to check keyed rows with. @default the keyring configureAuditLog set in this process (none: every keyed row fails) */
  keyring?: AuditKeyring;
  /** Rows read per query. @default 1000 */
  batchSize?: number;
}

interface Row {
  chain: number;
  seq: string;
  at: Date;
  actor: string;
  action: string;
  subject: string;
  before: unknown;
  after: unknown;
  request_id: string | null;
  prev_hash: string;
  key_id: string | null;
  hash: string;
}

// Past every seq of a chain: where the walk resumes after a chain's first break.
const END_OF_CHAIN = '9223372036854775807';

/**
 * Walks every chain in the log (chains discovered from the data) in `seq` order and
 * recomputes every hash, reporting the first break per chain: a row missing (a gap in seq),
 * a row whose `prev_hash` is not the hash of the row before, a legacy row whose SHA-256 or a
 * keyed row whose HMAC does not match, a row naming a key the keyring lacks, or an unkeyed
 * row where none may be (outside chain 0, or after a keyed row in chain 0).
 */
export async function verifyAuditChain(em: EntityManager, options: VerifyAuditChainOptions = {}): Promise<AuditChainReport> {
  const keyring = options.keyring ?? configuredAuditKeyring() ?? AuditKeyring.of(undefined);
  const batchSize = options.batchSize ?? 1000;
  const chains: AuditChainSummary[] = [];
  let state: { summary: AuditChainSummary; prevHash: string; keyedSeen: boolean } | undefined;
  let cursor: [number, string] = [-1, '0'];
  for (;;) {
    const rows = await em.execute<Row[]>(
      `select chain, seq, at, actor, action, subject, before, after, request_id, prev_hash, key_id, hash
       from audit_log where (chain, seq) > (?::smallint, ?::bigint) order by chain, seq limit ?`,
      [cursor[0], cursor[1], batchSize],
    );
    for (const row of rows) {
      const chain = Number(row.chain);
      const seq = Number(row.seq);
      // The rest of a broken chain within this batch (the next query starts past it).
      if (state?.summary.chain === chain && state.summary.broken) continue;
      cursor = [chain, row.seq];
      if (state?.summary.chain !== chain) {
        const summary: AuditChainSummary = { chain, entries: 0, legacy: 0, keyed: 0, head: null };
        chains.push(summary);
        state = { summary, prevHash: GENESIS_HASH, keyedSeen: false };
      }
      const { summary } = state;
      const expectedSeq = summary.entries + 1;
      const reason = problemOf(row, { chain, seq, expectedSeq, prevHash: state.prevHash, keyedSeen: state.keyedSeen, keyring });
      if (reason) {
        summary.broken = { seq: Math.min(seq, expectedSeq), reason };
        // Nothing after a break can be trusted: skip to the next chain.
        cursor = [chain, END_OF_CHAIN];
        continue;
      }
      summary.entries += 1;
      if (row.key_id === null) summary.legacy += 1;
      else {
        summary.keyed += 1;
        state.keyedSeen = true;
      }
      summary.head = { seq, hash: row.hash };
      state.prevHash = row.hash;
    }
    if (rows.length < batchSize) break;
  }
  const breaks = chains.flatMap((c) => (c.broken ? [{ chain: c.chain, ...c.broken }] : []));
  return { intact: breaks.length === 0, entries: chains.reduce((n, c) => n + c.entries, 0), chains, breaks };
}

function problemOf(
  row: Row,
  at: { chain: number; seq: number; expectedSeq: number; prevHash: string; keyedSeen: boolean; keyring: AuditKeyring },
): string | undefined {
  if (at.seq !== at.expectedSeq) return `row ${at.expectedSeq} is missing`;
  if (row.prev_hash !== at.prevHash) {
    return at.expectedSeq === 1 ? 'the first row does not start from the genesis hash' : `prev_hash does not match the hash of row ${at.seq - 1}`;
  }
  const fields = {
    seq: at.seq,
    at: new Date(row.at),
    actor: row.actor,
    action: row.action,
    subject: row.subject,
    before: row.before,
    after: row.after,
    requestId: row.request_id,
    prevHash: row.prev_hash,
  };
  if (row.key_id === null) {
    if (at.chain !== 0) return 'unkeyed (plain SHA-256) row outside the legacy chain 0';
    if (at.keyedSeen) return 'unkeyed (plain SHA-256) row after a keyed row';
    return auditHash(fields) === row.hash ? undefined : 'hash does not match the row';
  }
  const key = at.keyring.get(row.key_id);
  if (!key) return `row names audit key ${row.key_id}, which is not in the keyring`;
  return auditHmac(key, { ...fields, chain: at.chain, keyId: row.key_id }) === row.hash ? undefined : 'HMAC does not match the row';
}
