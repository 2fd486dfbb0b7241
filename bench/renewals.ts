// Renewals per second: N memberships (100,000 by default) whose period ended at the same instant,
// the rate measured over the first M renewals settled (10,000 by default; all N with M = N),
// each with a mandate the WeChat Pay sandbox signed, renewed by worker processes (the compiled
// worker-main, as production runs it: due work every few seconds, charges through the sandbox over
// HTTP, signed notifications back to the worker's port). Beside it, the raw rate of the same
// membership UPDATEs sent with `pg` over as many connections, one statement each, on the same rows.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { loadPseudonymSecret, MemberPseudonymizer } from '../src/modules/keys/index.js';
import type { BenchState } from './setup.js';

export interface RenewalBenchResult {
  /** Memberships due at once. */
  memberships: number;
  /** Renewals measured (the first ones settled, while the rest were still due). */
  measured: number;
  workers: number;
  /** From the first renewal charge created to the last one settled (database clock). */
  seconds: number;
  renewalsPerSecond: number;
  /** Every membership renewed and charged exactly once. */
  chargedOnce: boolean;
  raw: { updates: number; connections: number; seconds: number; updatesPerSecond: number };
  /** How many raw UPDATEs one renewal costs, in time. */
  rawOverRenewal: number;
}

const MARK = 'bench-renewal';

/**
 * Seeds `count` memberships due now; resolves once they are (the workers then pick them up).
 * `mark` (their idempotency key) tells them from earlier runs' in a kept database.
 */
export async function seedDueMemberships(databaseUrl: string, state: BenchState, count: number, log: (line: string) => void, mark = MARK): Promise<void> {
  const pseudonyms = new MemberPseudonymizer(await loadPseudonymSecret({ file: path.join(state.dataDir, 'secrets', 'pseudonym.key') }));
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const {
      rows: [plan],
    } = await client.query<{ plan_id: string; version_id: string }>(
      `select p.id as plan_id, bv.id as version_id from plan p join bundle_version bv on bv.bundle_id = p.bundle_id where p.code = 'PLUS' order by bv.version desc limit 1`,
    );
    const periodEnd = new Date(Date.now() - 60_000);
    const periodStart = new Date(periodEnd.getTime() - 365 * 86_400_000);
    const BATCH = 1_000;
    let seeded = 0;
    let lastLog = Date.now();
    for (let offset = 0; offset < count; offset += BATCH) {
      const memberIds = Array.from({ length: Math.min(BATCH, count - offset) }, () => randomUUID());
      const payerIds = memberIds.map((id) => pseudonyms.forPartner(id, 'payments-wechatpay'));
      const response = await fetch(`${state.paymentSandbox.url}/sandbox/mandates`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ payerIds }),
      });
      if (!response.ok) throw new Error(`sandbox mandates: HTTP ${response.status} ${await response.text()}`);
      const { mandates } = (await response.json()) as { mandates: Array<{ mandateId: string }> };
      const membershipIds = memberIds.map(() => randomUUID());
      await client.query('begin');
      await client.query(`insert into member (id, issuer, subject) select id, $2, id::text from unnest($1::uuid[]) as id`, [memberIds, MARK]);
      await client.query(
        `insert into membership (id, member_id, plan_id, bundle_version_id, status, idempotency_key, current_period_start, current_period_end, auto_renew, mandate_id, next_due_at)
         select m.id, m.member_id, $3, $4, 'ACTIVE', $8, $5, $6, true, m.mandate_id, $6
         from unnest($1::uuid[], $2::uuid[], $7::text[]) as m(id, member_id, mandate_id)`,
        [membershipIds, memberIds, plan!.plan_id, plan!.version_id, periodStart, periodEnd, mandates.map((m) => m.mandateId), mark],
      );
      await client.query(
        `insert into payment (id, membership_id, member_id, provider, amount, currency, status, kind, plan_id, period_start, period_end, charged_at, settled_at)
         select gen_random_uuid(), m.id, m.member_id, 'wechatpay', 19800, 'CNY', 'SUCCEEDED', 'INITIAL', $2, $3, $4, $3, $3 from unnest($1::uuid[], $5::uuid[]) as m(id, member_id)`,
        [membershipIds, plan!.plan_id, periodStart, periodEnd, memberIds],
      );
      await client.query('commit');
      seeded += memberIds.length;
      if (Date.now() - lastLog > 5_000 || seeded === count) {
        log(`  seeded ${seeded.toLocaleString('en-US')}/${count.toLocaleString('en-US')} memberships due at ${periodEnd.toISOString()} (mandates signed in the sandbox)`);
        lastLog = Date.now();
      }
    }
    await client.query('analyze membership; analyze payment');
  } finally {
    await client.end();
  }
}

/**
 * Waits until `measured` renewals of the `count` due memberships are settled (all of them by
 * default), logging progress; then measures from the first renewal charge created to the
 * `measured`-th settled, checks that no membership was charged twice, and times the raw UPDATEs.
 */
export async function measureRenewals(
  databaseUrl: string,
  count: number,
  measured: number,
  workers: number,
  log: (line: string) => void,
  options: { timeoutMs?: number; alive?: () => void; stopRenewing?: () => Promise<void>; mark?: string } = {},
): Promise<RenewalBenchResult> {
  const mark = options.mark ?? MARK;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const counts = async () =>
      (
        await client.query<{ settled: number; charged: number }>(
          `select count(*) filter (where p.status <> 'PENDING')::int as settled, count(*)::int as charged
           from payment p join membership m on m.id = p.membership_id
           where m.idempotency_key = $1 and p.kind = 'RENEWAL'`,
          [mark],
        )
      ).rows[0]!;
    const started = Date.now();
    const deadline = started + (options.timeoutMs ?? 30 * 60_000);
    let last = { at: started, settled: 0 };
    for (;;) {
      options.alive?.();
      const { settled, charged } = await counts();
      if (settled >= measured) break;
      if (Date.now() > deadline) throw new Error(`renewals: only ${settled}/${count} settled after ${Math.round((Date.now() - started) / 1000)} s`);
      if (Date.now() - last.at >= 10_000) {
        const rate = (settled - last.settled) / ((Date.now() - last.at) / 1000);
        log(
          `  renewals: ${settled.toLocaleString('en-US')}/${measured.toLocaleString('en-US')} settled (of ${count.toLocaleString('en-US')} due), ` +
            `${charged.toLocaleString('en-US')} charged, ${rate.toFixed(0)}/s over the last ${Math.round((Date.now() - last.at) / 1000)} s`,
        );
        last = { at: Date.now(), settled };
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    // From the first renewal charge made to the measured-th one settled; and no membership charged twice, none failed.
    const {
      rows: [span],
    } = await client.query<{ seconds: number; once: boolean }>(
      `with r as (
         select p.membership_id, p.created_at, p.settled_at, p.status from payment p join membership m on m.id = p.membership_id
         where m.idempotency_key = $1 and p.kind = 'RENEWAL'),
       settled as (select settled_at from r where settled_at is not null order by settled_at limit $2)
       select extract(epoch from (select max(settled_at) from settled) - (select min(created_at) from r))::float8 as seconds,
              (select count(*) from r) = (select count(distinct membership_id) from r) and not exists (select 1 from r where status = 'FAILED') as once`,
      [mark, measured],
    );
    const seconds = span!.seconds;
    // The raw UPDATEs run alone: the workers stop first (they would compete for the CPU and the rows).
    await options.stopRenewing?.();
    const raw = await rawUpdates(databaseUrl, client, measured, mark);
    return {
      memberships: count,
      measured,
      workers,
      seconds,
      renewalsPerSecond: measured / seconds,
      chargedOnce: span!.once,
      raw,
      rawOverRenewal: raw.updatesPerSecond / (measured / seconds),
    };
  } finally {
    await client.end();
  }
}

/** The same membership UPDATEs a renewal makes, sent with `pg` one per statement over 10 connections (the worker's pool). */
async function rawUpdates(databaseUrl: string, client: pg.Client, limit: number, mark = MARK): Promise<RenewalBenchResult['raw']> {
  const { rows } = await client.query<{ id: string }>(
    `select m.id from membership m join payment p on p.membership_id = m.id and p.kind = 'RENEWAL' and p.status = 'SUCCEEDED' where m.idempotency_key = $1 limit $2`,
    [mark, limit],
  );
  const connections = 10;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: connections });
  try {
    let next = 0;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (next < rows.length) {
          const id = rows[next++]!.id;
          await pool.query(
            `update membership set status = 'ACTIVE', current_period_start = current_period_end, current_period_end = current_period_end + interval '1 year',
               failed_attempts = 0, next_due_at = current_period_end + interval '358 days' where id = $1`,
            [id],
          );
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { updates: rows.length, connections, seconds, updatesPerSecond: rows.length / seconds };
  } finally {
    await pool.end();
  }
}
