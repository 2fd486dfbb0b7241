// The baseline of a redemption: the statements one `redeemEntitlement` writes, sent with `pg`
// directly as one plain transaction of the same SQL shape in the same two round trips
// (RedemptionService.redeem's transaction: the redemption row, the token consumed, the
// conditional quota UPDATE of takeQuota, and the audit chain's lock and last row; then the
// audit row and COMMIT), at the same concurrency, on the same entitlements, with tokens of its
// own recorded beforehand.
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';

export interface RawRedeemResult {
  /** Committed transactions. */
  ops: number;
  seconds: number;
  opsPerSecond: number;
  latencyMs: { p50: number; p99: number };
  /** Statements each transaction sends (BEGIN and COMMIT included). */
  statementsPerOp: number;
  connections: number;
  /** Ran out of prepared tokens before the time was up. */
  exhausted: boolean;
}

const STATEMENTS_PER_REDEMPTION = 8;
const AUDIT_LOCK_NAMESPACE = 0x61756474;
const AUDIT_CHAINS = 32;

/**
 * `connections` loops, each on its own connection, redeeming one unit of the next prepared
 * token for `seconds` (after `warmupSeconds` of the same), over `entitlementIds` round-robin.
 */
export async function measureRawRedeem(options: {
  databaseUrl: string;
  partnerId: string;
  entitlementIds: string[];
  connections: number;
  seconds: number;
  warmupSeconds: number;
  /** Tokens recorded beforehand (each used once). */
  tokens: number;
  log: (line: string) => void;
}): Promise<RawRedeemResult> {
  const { entitlementIds, connections } = options;
  const prefix = `raw-${randomBytes(4).toString('hex')}-`;
  const setup = new pg.Client({ connectionString: options.databaseUrl });
  await setup.connect();
  // Each right's member: the statements name it as the gateway's do (docs/citus.md).
  const memberOf = new Map<string, string>();
  try {
    // Recorded like issued tokens (no status-list entry, as tokens from before status lists).
    await setup.query(
      `insert into issued_token (jti, entitlement_id, member_id, partner_id, kid, issued_at, expires_at)
       select $1 || i, e.id, e.member_id, $3, 'raw-bench', now(), now() + interval '1 hour'
       from generate_series(0, $4::int - 1) i
       join entitlement e on e.id = ($2::uuid[])[1 + i % cardinality($2::uuid[])]`,
      [prefix, entitlementIds, options.partnerId, options.tokens],
    );
    const { rows } = await setup.query<{ id: string; member_id: string }>('select id, member_id from entitlement where id = any($1::uuid[])', [entitlementIds]);
    for (const row of rows) memberOf.set(row.id, row.member_id);
  } finally {
    await setup.end();
  }
  const hmacKey = randomBytes(32);
  const clients = await Promise.all(
    Array.from({ length: connections }, async () => {
      const client = new pg.Client({ connectionString: options.databaseUrl });
      await client.connect();
      return client;
    }),
  );
  let next = 0;
  const redeemOne = async (client: pg.Client): Promise<boolean> => {
    const i = next++;
    if (i >= options.tokens) return false;
    const jti = prefix + i;
    const entitlementId = entitlementIds[i % entitlementIds.length]!;
    const memberId = memberOf.get(entitlementId)!;
    const now = new Date();
    const redemptionId = randomUUID();
    const key = `raw-${randomUUID()}`;
    const requestHash = createHash('sha256').update(JSON.stringify([jti, 1])).digest('hex');
    // In two round trips, as RedemptionService.redeem sends them (pipelined-transaction.ts): the
    // writes with the audit chain's lock and last row, then the audit row with COMMIT.
    const q = (value: unknown) => (value === null ? 'null' : typeof value === 'number' ? String(value) : client.escapeLiteral(value instanceof Date ? value.toISOString() : String(value)));
    try {
      const first = (await client.query(
        [
          'begin',
          `insert into "redemption" ("id", "entitlement_id", "member_id", "partner_id", "units", "token_jti", "idempotency_key", "request_hash", "created_at")
           values (${[redemptionId, entitlementId, memberId, options.partnerId, 1, jti, key, requestHash, now].map(q).join(', ')})`,
          `update issued_token set redeemed_at = ${q(now)} where member_id = ${q(memberId)} and jti = ${q(jti)} and redeemed_at is null returning jti`,
          `update entitlement set used = used + 1
           where member_id = ${q(memberId)} and id = ${q(entitlementId)} and status = 'ACTIVE' and period_start <= ${q(now)} and period_end > ${q(now)}
             and (quota is null or used + 1 <= quota)
           returning used`,
          `select c.chain, pg_advisory_xact_lock(${AUDIT_LOCK_NAMESPACE}, c.chain)::text as locked, current_setting('transaction_isolation') as isolation
           from (select (hashtext(pg_current_xact_id()::text) & ${AUDIT_CHAINS - 1}) as chain) c`,
          `select seq, hash from audit_log where chain = (hashtext(pg_current_xact_id()::text) & ${AUDIT_CHAINS - 1}) order by seq desc limit 1`,
        ].join(';\n'),
      )) as unknown as pg.QueryResult[];
      const [, , consumed, taken, locked, last] = first as [unknown, unknown, pg.QueryResult, pg.QueryResult<{ used: number }>, pg.QueryResult<{ chain: number }>, pg.QueryResult<{ seq: string; hash: string }>];
      if (consumed.rowCount !== 1) throw new Error(`raw redemption: token ${jti} was already consumed`);
      if (taken.rowCount !== 1) throw new Error(`raw redemption: entitlement ${entitlementId} refused the unit (inactive or exhausted)`);
      const used = taken.rows[0]!.used;
      const chain = Number(locked.rows[0]!.chain);
      const before = { entitlement: { id: entitlementId, used: used - 1 } };
      const after = { redemption: { id: redemptionId, partnerId: options.partnerId, units: 1, tokenJti: jti, idempotencyKey: key }, entitlement: { id: entitlementId, used } };
      const seq = last.rows[0] ? Number(last.rows[0].seq) + 1 : 1;
      const prevHash = last.rows[0]?.hash ?? '0'.repeat(64);
      const hash = createHmac('sha256', hmacKey).update(JSON.stringify([chain, seq, now, 'partner:raw', 'redemption.create', redemptionId, before, after, prevHash])).digest('hex');
      await client.query(
        `insert into audit_log (id, chain, seq, at, actor, action, subject, before, after, request_id, prev_hash, key_id, hash)
         values (gen_random_uuid(), ${[chain, seq, now, `partner:${options.partnerId}`, 'redemption.create', redemptionId].map(q).join(', ')}, ${q(JSON.stringify(before))}::jsonb, ${q(JSON.stringify(after))}::jsonb, null, ${q(prevHash)}, 'raw-bench', ${q(hash)});
         commit`,
      );
    } catch (error) {
      await client.query('rollback');
      throw error;
    }
    return true;
  };
  const run = async (seconds: number) => {
    const latencies: number[] = [];
    const started = performance.now();
    const until = started + seconds * 1000;
    let exhausted = false;
    await Promise.all(
      clients.map(async (client) => {
        while (performance.now() < until) {
          const t0 = performance.now();
          if (!(await redeemOne(client))) {
            exhausted = true;
            return;
          }
          latencies.push(performance.now() - t0);
        }
      }),
    );
    return { latencies, seconds: (performance.now() - started) / 1000, exhausted };
  };
  try {
    await run(options.warmupSeconds);
    const { latencies, seconds, exhausted } = await run(options.seconds);
    latencies.sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
    return {
      ops: latencies.length,
      seconds,
      opsPerSecond: latencies.length / seconds,
      latencyMs: { p50: at(0.5), p99: at(0.99) },
      statementsPerOp: STATEMENTS_PER_REDEMPTION,
      connections,
      exhausted,
    };
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}
