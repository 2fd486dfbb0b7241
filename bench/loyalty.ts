// The loyalty engine's figures, each beside a raw baseline measured in the same run:
// - postings through the points ledger (lock, idempotency check, journal, lot, transfer,
//   balance) against the same rows written with `pg` directly;
// - the expiry of BENCH_EXPIRY_LOTS lots (1,000,000) due at one instant, by the lots' due work
//   (BENCH_LOYALTY_RUNNERS runners at once), against a raw UPDATE of the same rows;
// - the monthly tier evaluation of BENCH_TIER_MEMBERS members (100,000) due at one instant,
//   against a raw UPDATE of their rows.
// Everything runs in this process on the bench database, through the modules' own code.
import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { loadModules } from '../src/modules/index.js';
import { loadLoyaltyProgram } from '../src/modules/loyalty-program/index.js';
import { memberAccount, PointsLedger } from '../src/modules/points/index.js';
import type { AppDependencies } from '../src/platform/context.js';
import { connectOrm } from '../src/platform/db/orm.js';
import { createLogger } from '../src/platform/logger.js';
import type { DueWork } from '../src/platform/module.js';

export interface LoyaltyBenchSettings {
  postings: number;
  postingMembers: number;
  expiryLots: number;
  tierMembers: number;
  runners: number;
  connections: number;
}

export interface Rate {
  rows: number;
  seconds: number;
  perSecond: number;
}

export interface LoyaltyBenchResult {
  postings: { ledger: Rate; raw: Rate; ratio: number };
  expiry: { lots: Rate; raw: Rate; ratio: number; allExpired: boolean };
  evaluation: { members: Rate; raw: Rate; ratio: number; allMoved: boolean };
}

const TIME_ZONE = 'Asia/Shanghai';
const MARK = 'urn:bench-loyalty';
const BATCH = 10_000;

function rate(rows: number, started: bigint): Rate {
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { rows, seconds, perSecond: rows / seconds };
}

async function pool(count: number, concurrency: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

/** `count` members (member rows only), in batches; returns their ids. */
async function seedMembers(client: pg.Client, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let offset = 0; offset < count; offset += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, count - offset) }, () => randomUUID());
    await client.query(`insert into member (id, issuer, subject) select id, $2, id::text from unnest($1::uuid[]) as id`, [batch, MARK]);
    ids.push(...batch);
  }
  return ids;
}

export async function measureLoyalty(databaseUrl: string, settings: LoyaltyBenchSettings, log: (line: string) => void): Promise<LoyaltyBenchResult> {
  const modules = await loadModules();
  const orm: MikroORM = await connectOrm({ databaseUrl, entities: modules.entities(), poolSize: Math.max(settings.connections, settings.runners) + 2 });
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const raw = new pg.Pool({ connectionString: databaseUrl, max: settings.connections });
  try {
    const program = await loadLoyaltyProgram(orm.em.fork());
    const reminderDays = program.rules.expiryReminderDays;

    // ---- postings: earnings through the ledger, then the same rows with pg
    log(`loyalty: ${settings.postings.toLocaleString('en-US')} postings for ${settings.postingMembers.toLocaleString('en-US')} members through the ledger (${settings.connections} at once)…`);
    const members = await seedMembers(client, settings.postingMembers);
    const now = new Date();
    const expiresAt = new Date(now.getTime() + 200 * 86_400_000);
    let started = process.hrtime.bigint();
    await pool(settings.postings, settings.connections, async (i) => {
      const memberId = members[i % members.length]!;
      await orm.em.fork().transactional(async (tx) => {
        const ledger = new PointsLedger(tx, reminderDays);
        await ledger.lock(memberId, now);
        await ledger.earn({ memberId, idempotencyKey: `bench:${i}`, at: now, postedAt: now, points: 100, from: { kind: 'PROGRAM' }, expiresAt, clockId: null });
      });
    });
    const ledgerRate = rate(settings.postings, started);
    log(`  ledger: ${ledgerRate.perSecond.toFixed(0)} postings/s`);
    // The same rows: the journal, the lot, the transfer and the balance, in one transaction each.
    const rawMembers = await seedMembers(client, settings.postingMembers);
    await client.query(`insert into points_account (id, kind, member_id) select 'member:' || id, 'MEMBER', id from unnest($1::uuid[]) as id`, [rawMembers]);
    started = process.hrtime.bigint();
    await pool(settings.postings, settings.connections, async (i) => {
      const memberId = rawMembers[i % rawMembers.length]!;
      const journal = randomUUID();
      const lot = randomUUID();
      const c = await raw.connect();
      try {
        await c.query('begin');
        await c.query(`insert into points_journal (id, idempotency_key, request_hash, kind, member_id, points, effective_at) values ($1, $2, 'x', 'EARN', $3, 100, $4)`, [journal, `raw:${i}`, memberId, now]);
        await c.query(`insert into points_lot (id, member_id, journal_id, earned, remaining, earned_at, expires_at) values ($1, $2, $3, 100, 100, $4, $5)`, [lot, memberId, journal, now, expiresAt]);
        await c.query(`insert into points_transfer (id, journal_id, debit_account_id, credit_account_id, amount, lot_id) values (gen_random_uuid(), $1, 'issued', $2, 100, $3)`, [journal, memberAccount(memberId), lot]);
        await c.query(`update points_account set balance = balance + 100 where id = $1`, [memberAccount(memberId)]);
        await c.query('commit');
      } finally {
        c.release();
      }
    });
    const rawPostings = rate(settings.postings, started);
    log(`  raw pg: ${rawPostings.perSecond.toFixed(0)} postings/s`);

    // ---- expiry: lots due at one instant, expired by the due work
    const dueWork = (name: string): DueWork => modules.dueWork().find((w) => w.name === name)!;
    const deps = { timeZone: TIME_ZONE } as AppDependencies;
    const logger = createLogger('silent');
    const lotsPerMember = 10;
    const expiryMembers = Math.ceil(settings.expiryLots / lotsPerMember);
    log(`loyalty: seeding ${settings.expiryLots.toLocaleString('en-US')} lots of ${expiryMembers.toLocaleString('en-US')} members, all expiring at one instant…`);
    const expired = new Date(Date.now() - 60_000);
    const earnedAt = new Date(expired.getTime() - 190 * 86_400_000);
    const expiryMemberIds = await seedMembers(client, expiryMembers);
    for (let offset = 0; offset < expiryMemberIds.length; offset += BATCH) {
      const batch = expiryMemberIds.slice(offset, offset + BATCH);
      await client.query('begin');
      await client.query(
        `insert into points_account (id, kind, member_id, balance) select 'member:' || id, 'MEMBER', id, $2 from unnest($1::uuid[]) as id`,
        [batch, 100 * lotsPerMember],
      );
      await client.query(`insert into points_account (id, kind, member_id) select 'debt:' || id, 'MEMBER_DEBT', id from unnest($1::uuid[]) as id`, [batch]);
      // One earning journal per lot, then the lots and their transfers.
      await client.query(
        `with lots as (
           select m.id as member_id, gen_random_uuid() as journal_id, gen_random_uuid() as lot_id from unnest($1::uuid[]) as m(id), generate_series(1, $2)),
         j as (insert into points_journal (id, idempotency_key, request_hash, kind, member_id, points, effective_at)
               select journal_id, 'seed:' || lot_id, 'x', 'EARN', member_id, 100, $3 from lots returning id),
         l as (insert into points_lot (id, member_id, journal_id, earned, remaining, earned_at, expires_at, reminded_at, due_at)
               select lot_id, member_id, journal_id, 100, 100, $3, $4, $3, $4 from lots returning id)
         insert into points_transfer (id, journal_id, debit_account_id, credit_account_id, amount, lot_id)
         select gen_random_uuid(), journal_id, 'issued', 'member:' || member_id, 100, lot_id from lots`,
        [batch, lotsPerMember, earnedAt, expired],
      );
      await client.query('commit');
      if ((offset / BATCH) % 20 === 19) log(`  seeded ${(Math.min(offset + BATCH, expiryMemberIds.length) * lotsPerMember).toLocaleString('en-US')} lots`);
    }
    await client.query('analyze points_lot; analyze points_account; analyze points_journal; analyze points_transfer');
    log(`loyalty: expiring them with the lots' due work (${settings.runners} runners at once)…`);
    const lots = dueWork('points-lots');
    started = process.hrtime.bigint();
    let lastLog = Date.now();
    let expiredLots = 0;
    await Promise.all(
      Array.from({ length: settings.runners }, async () => {
        for (;;) {
          const em = orm.em.fork();
          const ran = await lots.runDue({ em, deps, services: modules.createServices(em, deps), logger, now: new Date(), clockId: null, limit: 200 });
          expiredLots += ran;
          if (Date.now() - lastLog > 10_000) {
            lastLog = Date.now();
            log(`  claimed ${expiredLots.toLocaleString('en-US')} lots of ${settings.expiryLots.toLocaleString('en-US')} due (a member's other lots expire with the first claimed)`);
          }
          if (ran < 200) return;
        }
      }),
    );
    const [{ left }] = (await client.query<{ left: string }>(`select count(*) as left from points_lot where remaining > 0 and expires_at <= $1`, [expired])).rows as [{ left: string }];
    // Claims count lots; a member's lots are expired together, so count what the run expired.
    const expiryRate = rate(settings.expiryLots - Number(left), started);
    log(`  due work: ${expiryRate.perSecond.toFixed(0)} lots/s (${expiryRate.rows.toLocaleString('en-US')} in ${expiryRate.seconds.toFixed(1)} s), ${left} left unexpired`);
    // Raw: the same lots, one UPDATE each (they are expired already: the rows and indexes are what count).
    const rawLots = (await client.query<{ id: string }>(`select id from points_lot where expires_at = $1 limit $2`, [expired, Math.min(settings.expiryLots, 200_000)])).rows.map((r) => r.id);
    started = process.hrtime.bigint();
    await pool(rawLots.length, settings.connections, async (i) => {
      await raw.query(`update points_lot set remaining = 0, due_at = null where id = $1`, [rawLots[i]]);
    });
    const rawExpiry = rate(rawLots.length, started);
    log(`  raw pg: ${rawExpiry.perSecond.toFixed(0)} UPDATEs/s`);

    // ---- tier evaluation: members at GOLD whose window fell short, due at one instant
    log(`loyalty: seeding ${settings.tierMembers.toLocaleString('en-US')} GOLD members due for evaluation…`);
    const tierMemberIds = await seedMembers(client, settings.tierMembers);
    const evaluation = new Date(Date.now() - 60_000);
    const since = new Date(evaluation.getTime() - 400 * 86_400_000);
    for (let offset = 0; offset < tierMemberIds.length; offset += BATCH) {
      const batch = tierMemberIds.slice(offset, offset + BATCH);
      await client.query(`insert into member_tier (member_id, tier_code, since, evaluation_due_at) select id, 'GOLD', $2, $3 from unnest($1::uuid[]) as id`, [batch, since, evaluation]);
      // Spend 9 and 5 months ago: below GOLD's threshold, so each evaluation moves the member.
      await client.query(
        `insert into tier_qualifying_month (member_id, month, spend, orders, points_earned)
         select id, (date_trunc('month', $2::timestamptz at time zone 'Asia/Shanghai') - make_interval(months => k))::date, 100000, 1, 1000
         from unnest($1::uuid[]) as id, (values (9), (5)) as v(k)`,
        [batch, evaluation],
      );
    }
    await client.query('analyze member_tier; analyze tier_qualifying_month');
    const tiers = dueWork('tier-evaluation');
    started = process.hrtime.bigint();
    let evaluated = 0;
    lastLog = Date.now();
    await Promise.all(
      Array.from({ length: settings.runners }, async () => {
        for (;;) {
          const em = orm.em.fork();
          const ran = await tiers.runDue({ em, deps, services: modules.createServices(em, deps), logger, now: new Date(), clockId: null, limit: 200 });
          evaluated += ran;
          if (Date.now() - lastLog > 10_000) {
            lastLog = Date.now();
            log(`  evaluated ${evaluated.toLocaleString('en-US')}/${settings.tierMembers.toLocaleString('en-US')} members, ${(evaluated / (Number(process.hrtime.bigint() - started) / 1e9)).toFixed(0)}/s`);
          }
          if (ran < 200) return;
        }
      }),
    );
    const evaluationRate = rate(evaluated, started);
    const [{ moved }] = (await client.query<{ moved: string }>(`select count(*) as moved from member_tier t join member m on m.id = t.member_id where m.issuer = $1 and t.tier_code = 'SILVER'`, [MARK])).rows as [{ moved: string }];
    log(`  due work: ${evaluationRate.perSecond.toFixed(0)} members/s (${evaluationRate.rows.toLocaleString('en-US')} in ${evaluationRate.seconds.toFixed(1)} s), ${moved} moved GOLD → SILVER`);
    const rawTier = tierMemberIds.slice(0, Math.min(tierMemberIds.length, 100_000));
    started = process.hrtime.bigint();
    await pool(rawTier.length, settings.connections, async (i) => {
      await raw.query(`update member_tier set tier_code = 'SILVER', since = $2, evaluation_due_at = null where member_id = $1`, [rawTier[i], evaluation]);
    });
    const rawEvaluation = rate(rawTier.length, started);
    log(`  raw pg: ${rawEvaluation.perSecond.toFixed(0)} UPDATEs/s`);

    return {
      postings: { ledger: ledgerRate, raw: rawPostings, ratio: ledgerRate.perSecond / rawPostings.perSecond },
      expiry: { lots: expiryRate, raw: rawExpiry, ratio: expiryRate.perSecond / rawExpiry.perSecond, allExpired: Number(left) === 0 },
      evaluation: { members: evaluationRate, raw: rawEvaluation, ratio: evaluationRate.perSecond / rawEvaluation.perSecond, allMoved: Number(moved) === settings.tierMembers },
    };
  } finally {
    await raw.end();
    await client.end();
    await orm.close();
  }
}
