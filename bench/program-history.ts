// A program's history, generated in the database: members who joined over two years, some of
// whom bought PLUS (yearly) or PLUS_MONTHLY, renewed for a while, let it lapse, had it refunded,
// bought again; the rights their periods materialized and what they used of them (car washes
// redeemed, some voided; coffee vouchers claimed; streaming acknowledged), their purchases in our
// channels and at partners' tills with the points each earned (lots that expired, were spent in
// part or taken back by refunds, spent and expired through the ledger), their tiers, the months
// tier evaluations read, and how they moved. For the program figures' tests, `npm run
// bench:figures` and `npm run bench:scale` (1,000,000 members: about 5M rights, 20M ledger
// postings, 10M purchases and refunds, 75M rows in all).
//
// Everything is `INSERT … SELECT` over `generate_series`, one batch of members per transaction:
// no row crosses the wire (pg-copy-streams is not installed; what COPY would gain is measured in
// docs/decisions.md, "Program figures"). PROGRAM_HISTORY_PROFILE=1 times every statement. Every draw is a hash of the
// seed and the row's index (`hashint8extended`), so a seed gives the same history on any run, and
// ids are built from the table, the seed and the index: sequential, so index inserts append.
import pg from 'pg';

export interface ProgramHistoryOptions {
  /** Members to create. */
  members: number;
  /** Draws and ids follow from it: the same seed gives the same history. @default 1 */
  seed?: number;
  /** The history ends here (nothing happens after it). @default now */
  now?: Date;
  /** Program time zone for calendar months and point expiry. @default 'Asia/Shanghai' */
  timeZone?: string;
  /** Members per batch (one transaction each). @default 25000 */
  batch?: number;
  /**
   * Load without foreign-key checks and triggers (`session_replication_role = replica`, which needs a
   * superuser), and without waiting for the WAL flush: for a scratch database. @default false
   */
  fast?: boolean;
  /** A progress line per batch. */
  log?: (line: string) => void;
}

export interface ProgramHistorySummary {
  members: number;
  seconds: number;
  /** Rows written per table. */
  rows: Record<string, number>;
}

/** Tables the generator writes, in the order it writes them. */
export const HISTORY_TABLES = [
  'member',
  'membership',
  'payment',
  'payment_refund',
  'entitlement',
  'redemption',
  'redemption_void',
  'voucher_code',
  'activity',
  'tier_qualifying_month',
  'points_account',
  'points_journal',
  'points_transfer',
  'points_lot',
  'member_tier',
  'tier_change',
] as const;

/** Id kinds: the first group of a generated uuid. */
const KIND = {
  member: 1,
  membership: 2,
  payment: 3,
  refund: 4,
  entitlement: 5,
  redemption: 6,
  void: 7,
  voucher: 8,
  purchase: 9,
  refundActivity: 10,
  earn: 11,
  earnTransfer: 12,
  lot: 13,
  reversal: 14,
  reversalTransfer: 15,
  tierChange: 16,
  tierRight: 17,
  spend: 18,
  spendTransfer: 19,
  expiry: 20,
  expiryTransfer: 21,
} as const;

const ISSUER = 'urn:seed-program-history';

/**
 * Appends a history of `members` members to a migrated database with the demo catalog and
 * loyalty program (plans PLUS and PLUS_MONTHLY, their bundles, the tiers). Rows are written as
 * the services would leave them, but nothing is due afterwards: memberships, lots and tiers carry
 * no due instant, so workers leave the history alone.
 */
export async function seedProgramHistory(databaseUrl: string, options: ProgramHistoryOptions): Promise<ProgramHistorySummary> {
  const seed = options.seed ?? 1;
  const now = options.now ?? new Date();
  const tz = options.timeZone ?? 'Asia/Shanghai';
  const batch = options.batch ?? 25_000;
  const log = options.log ?? (() => {});
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const started = performance.now();
  try {
    if (options.fast) await client.query(`set session_replication_role = replica; set synchronous_commit = off`);
    // JIT compiles each statement for rows generate_series over-estimates: seconds lost per batch.
    await client.query(`set work_mem = '64MB'; set jit = off`);
    await client.query(`
      create or replace function pg_temp.fr(i bigint, salt bigint) returns double precision language sql immutable parallel safe as
        $$ select (hashint8extended(i, salt) & 9007199254740991)::double precision / 9007199254740992.0 $$;
      create or replace function pg_temp.fid(kind int, seed int, i bigint) returns uuid language sql immutable parallel safe as
        $$ select (lpad(to_hex(kind), 8, '0') || '-' || lpad(to_hex(seed % 65536), 4, '0') || '-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid $$;`);
    // The catalog: slot 0 sells PLUS (yearly), slot 1 PLUS_MONTHLY, each with the bundle version it sells now.
    await client.query(
      `create temp table sd_catalog as
       select s.slot, pl.id as plan_id, pl.price_amount as price, trim(pl.currency) as currency, v.id as version_id,
              case pl.billing_period when 'YEAR' then interval '1 year' else interval '1 month' end as step,
              case pl.billing_period when 'YEAR' then 0.6 else 0.85 end as renew
         from (values (0, 'PLUS'), (1, 'PLUS_MONTHLY')) s(slot, code)
         join plan pl on pl.code = s.code
         cross join lateral (select id from bundle_version where bundle_id = pl.bundle_id and effective_from <= $1 order by effective_from desc, version desc limit 1) v`,
      [now],
    );
    const { rows: slots } = await client.query(`select slot from sd_catalog`);
    if (slots.length !== 2) throw new Error('seedProgramHistory needs the demo catalog (plans PLUS and PLUS_MONTHLY): run it on a database the demo seed prepared');
    await client.query(
      `create temp table sd_bb as
       select c.slot, row_number() over (partition by c.slot order by bb.position, b.code)::int as pos, b.id as benefit_id, b.kind::text as kind,
              bb.quota, bb.period::text as period, b.partner_id
         from sd_catalog c join bundle_benefit bb on bb.bundle_version_id = c.version_id join benefit b on b.id = bb.benefit_id
        where bb.min_tier is null and bb.segments is null`,
    );
    await client.query(
      `create temp table sd_tiers as select code, rank, coalesce(min_spend, 0) as min_spend from loyalty_tier;
       create temp table sd_tier_rights as
       select t.rank, tb.tier_code, row_number() over (order by t.rank, b.code)::int as pos, b.id as benefit_id, tb.quota
         from loyalty_tier_benefit tb join loyalty_tier t on t.code = tb.tier_code join benefit b on b.code = tb.benefit_code`,
    );
    // The partners' tills issue points from accounts of their own.
    await client.query(
      `insert into points_account (id, kind, partner_id)
       select 'partner-issued:' || id, 'PARTNER_ISSUED', id from partner on conflict (id) do nothing`,
    );
    const [{ first }] = (await client.query<{ first: string }>(`select count(*) + 1 as first from member where issuer = $1`, [ISSUER])).rows as [{ first: string }];
    const offset = Number(first);

    const rows: Record<string, number> = Object.fromEntries(HISTORY_TABLES.map((t) => [t, 0]));
    const count = (table: (typeof HISTORY_TABLES)[number], result: pg.QueryResult) => {
      rows[table] += result.rowCount ?? 0;
    };
    const batches = Math.ceil(options.members / batch);
    for (let b = 0; b < batches; b++) {
      const lo = offset + b * batch;
      const hi = Math.min(offset + options.members, lo + batch);
      await client.query('begin');
      const p = { S: seed, now, tz, lo, hi };
      for (const [index, [table, sql, params]] of batchStatements(p).entries()) {
        const at = performance.now();
        const result = await client.query(sql, params);
        if (table) count(table, result);
        if (process.env.PROGRAM_HISTORY_PROFILE) log(`    statement ${index} (${table ?? 'temp'}): ${(performance.now() - at).toFixed(0)} ms, ${result.rowCount ?? 0} rows`);
      }
      await client.query('commit');
      const done = hi - offset;
      const seconds = (performance.now() - started) / 1000;
      const total = Object.values(rows).reduce((a, n) => a + n, 0);
      log(
        `  history: ${done.toLocaleString('en-US')}/${options.members.toLocaleString('en-US')} members, ${total.toLocaleString('en-US')} rows, ` +
          `${seconds.toFixed(0)} s, ${Math.round(total / seconds).toLocaleString('en-US')} rows/s (ETA ${((seconds / done) * (options.members - done)).toFixed(0)} s)`,
      );
    }
    await client.query(`drop table sd_catalog, sd_bb, sd_tiers, sd_tier_rights`);
    return { members: options.members, seconds: (performance.now() - started) / 1000, rows };
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    await client.end();
  }
}

type Statement = [table: (typeof HISTORY_TABLES)[number] | null, sql: string, params: unknown[]];

/** The statements of one batch of members [lo, hi), in order. */
function batchStatements(p: { S: number; now: Date; tz: string; lo: number; hi: number }): Statement[] {
  const { S, now, tz } = p;
  const salt = (k: number) => S * 1000 + k;
  const r = (index: string, k: number) => `pg_temp.fr(${index}, ${salt(k)})`;
  const id = (kind: number, index: string) => `pg_temp.fid(${kind}, ${S}, ${index})`;
  // Periods and the membership each ends in, for the memberships of sd_ms with sequence `seq`.
  const periods = (seq: number): Statement[] => [
    [
      null,
      `insert into sd_p
       select ms.i, ms.seq, ms.membership_id, ms.member_id, ms.slot, ms.eng, j, ms.start + (j - 1) * ms.step, ms.start + j * ms.step
         from sd_ms ms cross join lateral generate_series(1, ms.periods) j
        where ms.seq = ${seq} and ms.start + (j - 1) * ms.step <= $1`,
      [now],
    ],
    [
      null,
      // The last period decides: a refund a quarter into it ends the membership then; running
      // out of periods ends it at the last one's end; otherwise it is live.
      `insert into sd_st
       select distinct on (ms.i, ms.seq) ms.i, ms.seq, ms.membership_id, ms.member_id, ms.plan_id, ms.version_id, ms.price, ms.currency, ms.start,
              p.j as last_j, p.ps, p.pe,
              case when ms.refund and p.ps + (p.pe - p.ps) / 4 <= $1 then p.ps + (p.pe - p.ps) / 4
                   when p.j = ms.periods and p.pe <= $1 then p.pe end as ended_at,
              ms.refund and p.ps + (p.pe - p.ps) / 4 <= $1 as refunded
         from sd_ms ms join sd_p p on p.i = ms.i and p.seq = ms.seq
        where ms.seq = ${seq}
        order by ms.i, ms.seq, p.j desc`,
      [now],
    ],
  ];
  return [
    [
      null,
      `create temp table sd_m on commit drop as
       select i, ${id(KIND.member, 'i')} as id, $1::timestamptz - interval '730 days' * power(${r('i', 1)}, 1.6) as created_at, ${r('i', 10)} as eng
         from generate_series($2::bigint, $3::bigint - 1) i`,
      [now, p.lo, p.hi],
    ],
    ['member', `insert into member (id, issuer, subject, created_at) select id, '${ISSUER}', 's${S}-' || i, created_at from sd_m`, []],
    [
      null,
      `create temp table sd_ms (i bigint, seq int, membership_id uuid, member_id uuid, slot int, plan_id uuid, version_id uuid, price int, currency text,
                                step interval, start timestamptz, periods int, refund boolean, eng double precision) on commit drop;
       create temp table sd_p (i bigint, seq int, membership_id uuid, member_id uuid, slot int, eng double precision, j int, ps timestamptz, pe timestamptz) on commit drop;
       create temp table sd_st (i bigint, seq int, membership_id uuid, member_id uuid, plan_id uuid, version_id uuid, price int, currency text, start timestamptz,
                                last_j int, ps timestamptz, pe timestamptz, ended_at timestamptz, refunded boolean) on commit drop`,
      [],
    ],
    [
      null,
      // 34% of members buy, within 60 days of joining: 65% yearly, renewing 60% of the time; the
      // rest monthly, renewing 85% of the time; 5% have their last period refunded.
      `insert into sd_ms
       select m.i, 1, ${id(KIND.membership, 'm.i * 4 + 1')}, m.id, c.slot, c.plan_id, c.version_id, c.price, c.currency, c.step,
              m.created_at + interval '60 days' * power(${r('m.i', 4)}, 2) as start,
              1 + least(40, floor(ln(1 - ${r('m.i', 5)}) / ln(c.renew)))::int, ${r('m.i', 6)} < 0.05, m.eng
         from sd_m m join sd_catalog c on c.slot = case when ${r('m.i', 3)} < 0.65 then 0 else 1 end
        where ${r('m.i', 2)} < 0.34 and m.created_at + interval '60 days' * power(${r('m.i', 4)}, 2) < $1`,
      [now],
    ],
    ...periods(1),
    [
      null,
      // 30% of those whose membership ended buy again, 10 to 180 days later, the same plan.
      `insert into sd_ms
       select st.i, 2, ${id(KIND.membership, 'st.i * 4 + 2')}, st.member_id, c.slot, c.plan_id, c.version_id, c.price, c.currency, c.step,
              st.ended_at + interval '1 day' * (10 + 170 * ${r('st.i', 8)}), 1 + least(40, floor(ln(1 - ${r('st.i', 9)}) / ln(c.renew)))::int, false, ms.eng
         from sd_st st join sd_ms ms on ms.i = st.i and ms.seq = 1 join sd_catalog c on c.slot = ms.slot
        where st.seq = 1 and st.ended_at is not null and ${r('st.i', 7)} < 0.3
          and st.ended_at + interval '1 day' * (10 + 170 * ${r('st.i', 8)}) < $1`,
      [now],
    ],
    ...periods(2),
    [
      'membership',
      `insert into membership (id, member_id, plan_id, bundle_version_id, status, idempotency_key, current_period_start, current_period_end, created_at, auto_renew, ended_at, canceled_at)
       select membership_id, member_id, plan_id, version_id,
              (case when refunded then 'CANCELED' when ended_at is not null then 'EXPIRED' else 'ACTIVE' end)::membership_status,
              'seed-' || seq, ps, pe, start, ended_at is null, ended_at, case when refunded then ended_at end
         from sd_st`,
      [],
    ],
    [
      'payment',
      `insert into payment (id, membership_id, member_id, provider, provider_reference, amount, currency, status, created_at, settled_at, charged_at, kind, plan_id, period_start, period_end, refunded_amount)
       select ${id(KIND.payment, '(p.i * 4 + p.seq) * 64 + p.j')}, p.membership_id, p.member_id, 'seed', 'seed', st.price, st.currency,
              (case when st.refunded and p.j = st.last_j then 'REFUNDED' else 'SUCCEEDED' end)::payment_status, p.ps, p.ps, p.ps,
              (case when p.j = 1 then 'INITIAL' else 'RENEWAL' end)::payment_kind, st.plan_id, p.ps, p.pe,
              case when st.refunded and p.j = st.last_j then st.price * 3 / 4 else 0 end
         from sd_p p join sd_st st on st.i = p.i and st.seq = p.seq`,
      [],
    ],
    [
      'payment_refund',
      `insert into payment_refund (id, payment_id, member_id, amount, currency, status, reason, requested_at, settled_at)
       select ${id(KIND.refund, 'st.i * 4 + st.seq')}, ${id(KIND.payment, '(st.i * 4 + st.seq) * 64 + st.last_j')}, st.member_id, st.price * 3 / 4, st.currency, 'SUCCEEDED', 'seed: refunded by the member', st.ended_at, st.ended_at
         from sd_st st where st.refunded`,
      [],
    ],
    [
      null,
      // Rights: a term benefit once per period, a monthly one per calendar month the period
      // touches; only what had started by now (and before a refund ended the membership).
      `create temp table sd_e on commit drop as
       with rights as (
         select p.i, p.seq, p.j, p.membership_id, p.member_id, p.eng, b.pos, b.benefit_id, b.kind, b.quota, b.partner_id, st.ended_at, st.refunded,
                g.k, greatest(p.ps, g.ms) as rs, least(p.pe, g.me) as re
           from sd_p p join sd_st st on st.i = p.i and st.seq = p.seq join sd_bb b on b.slot = p.slot
           cross join lateral (
             select 0 as k, p.ps as ms, p.pe as me where b.period = 'MEMBERSHIP_TERM'
             union all
             select k, (date_trunc('month', p.ps at time zone $2) + k * interval '1 month') at time zone $2,
                       (date_trunc('month', p.ps at time zone $2) + (k + 1) * interval '1 month') at time zone $2
               from generate_series(0, 13) k
              where b.period = 'CALENDAR_MONTH' and (date_trunc('month', p.ps at time zone $2) + k * interval '1 month') at time zone $2 < p.pe
           ) g
       ), keyed as (
         select *, ((((i * 4 + seq) * 64 + j) * 16 + pos) * 16 + k) as key,
                case when refunded and re > ended_at then ended_at end as revoked_at
           from rights where rs < re and rs <= $1 and (ended_at is null or rs < ended_at)
       ), states as (
         select *, kind not in ('ACCESS', 'CONVERSION') or ${r('key', 20)} < 0.92 as activated,
                least(re, $1, coalesce(revoked_at, re)) as horizon
           from keyed
       )
       select *, case when kind = 'QUOTA' then least(quota, floor(quota * eng * 2 * ${r('key', 21)} * greatest(0, extract(epoch from horizon - rs) / extract(epoch from re - rs))))::int
                      when kind = 'VOUCHER' then least(quota, floor(quota * eng * 0.6 * ${r('key', 21)} * greatest(0, extract(epoch from horizon - rs) / extract(epoch from re - rs))))::int
                      else 0 end as used
         from states`,
      [now, tz],
    ],
    [
      'entitlement',
      `insert into entitlement (id, member_id, membership_id, benefit_id, status, period_start, period_end, quota, used, created_at, activated_at, revoked_at, source)
       select ${id(KIND.entitlement, 'key')}, member_id, membership_id, benefit_id,
              (case when revoked_at is not null then 'REVOKED' when re <= $1 then 'EXPIRED' when not activated then 'PENDING_PROVISION' else 'ACTIVE' end)::entitlement_status,
              rs, re, quota, used, rs, case when activated then rs end, revoked_at, 'MEMBERSHIP'
         from sd_e`,
      [now],
    ],
    [
      'redemption',
      // QUOTA uses, spread over the right's usable time; 5% of used rights also have a use voided.
      `insert into redemption (id, entitlement_id, member_id, partner_id, units, token_jti, idempotency_key, request_hash, created_at)
       select ${id(KIND.redemption, 'e.key * 32 + g')}, ${id(KIND.entitlement, 'e.key')}, e.member_id, e.partner_id, 1, 'seed:${S}:' || e.key || ':' || g, 'seed:${S}:' || e.key || ':' || g, 'seed',
              e.rs + (e.horizon - e.rs) * ((g + 0.5) / (e.used + 1))
         from sd_e e cross join lateral generate_series(case when ${r('e.key', 23)} < 0.05 then 0 else 1 end, e.used) g
        where e.kind = 'QUOTA' and e.used > 0`,
      [],
    ],
    [
      'redemption_void',
      `insert into redemption_void (id, redemption_id, member_id, partner_id, reason, created_at)
       select ${id(KIND.void, 'e.key')}, ${id(KIND.redemption, 'e.key * 32')}, e.member_id, e.partner_id, 'seed: redeemed by mistake', e.rs + (e.horizon - e.rs) * (0.5 / (e.used + 1)) + interval '1 minute'
         from sd_e e where e.kind = 'QUOTA' and e.used > 0 and ${r('e.key', 23)} < 0.05`,
      [],
    ],
    [
      'voucher_code',
      `insert into voucher_code (id, partner_id, benefit_id, code, batch_id, uploaded_at, claimed_at, entitlement_id, member_id)
       select ${id(KIND.voucher, 'e.key * 32 + g')}, e.partner_id, e.benefit_id, 'S${S}-' || e.key || '-' || g, ${id(KIND.voucher, '0')}, e.rs - interval '1 day',
              e.rs + (e.horizon - e.rs) * (g::double precision / (e.used + 1)), ${id(KIND.entitlement, 'e.key')}, e.member_id
         from sd_e e cross join lateral generate_series(1, e.used) g
        where e.kind = 'VOUCHER' and e.used > 0`,
      [],
    ],
    [
      null,
      // Purchases: 0-31 per member since joining (10 on average), ¥20-¥1,500 (most small); 70% in the app, 10% at
      // the store, 20% at partners' tills (points issued by the partner); 5% refunded, half of
      // those whole. Each earns a point per yuan in a lot expiring on the 1st of the 7th month
      // after; 60% of lots were spent in part (a SPEND before the expiry or now), and what an
      // expired lot still held then went in an EXPIRY: so about two postings per purchase,
      // 20M journals for 1M members.
      `create temp table sd_a on commit drop as
       with base as (
         select m.i, m.id as member_id, m.created_at, g, m.i * 32 + g as key
           from sd_m m cross join lateral generate_series(1, floor(32 * power(${r('m.i', 11)}, 2))::int) g
       ), drawn as (
         select *, created_at + ($1::timestamptz - created_at) * ${r('key', 12)} as at,
                (2000 + floor(148000 * power(${r('key', 13)}, 3)))::int as amount,
                case when ${r('key', 16)} < 0.7 then 'app' when ${r('key', 16)} < 0.8 then 'store-pos' when ${r('key', 16)} < 0.9 then 'partner.brewbar'
                     when ${r('key', 16)} < 0.95 then 'partner.sparkwash' else 'partner.skymiles' end as channel
           from base
       ), priced as (
         select *, amount / 100 as points,
                case when ${r('key', 14)} < 0.05 then case when ${r('key', 15)} < 0.5 then amount else amount / 2 end else 0 end as refunded,
                (date_trunc('month', at at time zone $2) + interval '7 months') at time zone $2 as expires_at,
                case when channel like 'partner.%' then 'partner-issued:' || substr(channel, 9) else 'issued' end as issuer
           from drawn
       ), spent as (
         select *, refunded / 100 as taken_back, least($1::timestamptz, at + interval '3 days') as refunded_at,
                case when ${r('key', 17)} < 0.6 then floor((points - refunded / 100) * ${r('key', 18)})::int else 0 end as spent,
                at + (least($1::timestamptz, expires_at) - at) * ${r('key', 19)} as spent_at
           from priced
       )
       select *, case when expires_at <= $1 then 0 else points - taken_back - spent end as remaining,
              case when expires_at <= $1 then points - taken_back - spent else 0 end as expired
         from spent`,
      [now, tz],
    ],
    [
      'activity',
      `insert into activity (id, member_id, type, channel, external_id, amount, currency, occurred_at, posted_at, points, multiplier_permille, rate_points, rate_per,
                             refunded_amount, points_taken_back, lot_id, request_hash, seq, created_at)
       select ${id(KIND.purchase, 'key')}, member_id, 'PURCHASE', channel, 'seed:${S}:' || key, amount, 'CNY', at, at, points, 1000, 1, 100,
              refunded, taken_back, ${id(KIND.lot, 'key')}, 'seed', nextval('activity_seq'), at
         from sd_a order by at`,
      [],
    ],
    [
      'activity',
      `insert into activity (id, member_id, type, channel, external_id, amount, currency, refund_of_id, occurred_at, posted_at, request_hash, seq, created_at)
       select ${id(KIND.refundActivity, 'key')}, member_id, 'REFUND', channel, 'seed:${S}:' || key || ':refund', refunded, 'CNY', ${id(KIND.purchase, 'key')},
              refunded_at, refunded_at, 'seed', nextval('activity_seq'), refunded_at
         from sd_a where refunded > 0 order by refunded_at`,
      [],
    ],
    [
      'tier_qualifying_month',
      // What the tier evaluation reads: per program month, purchases minus refunds (by when they happened).
      `insert into tier_qualifying_month (member_id, month, spend, orders, points_earned)
       select member_id, month, sum(spend), sum(orders), sum(points)
         from (select member_id, (date_trunc('month', at at time zone $1))::date as month, amount as spend, 1 as orders, points from sd_a
               union all
               select member_id, (date_trunc('month', refunded_at at time zone $1))::date, -refunded, 0, 0 from sd_a where refunded > 0) x
        group by member_id, month`,
      [tz],
    ],
    [
      'points_account',
      `insert into points_account (id, kind, member_id, balance, created_at)
       select 'member:' || member_id, 'MEMBER', member_id, sum(remaining), min(at) from sd_a group by member_id`,
      [],
    ],
    [
      'points_journal',
      `insert into points_journal (id, idempotency_key, request_hash, kind, member_id, points, activity_id, effective_at, created_at)
       select ${id(KIND.earn, 'key')}, 'seed:${S}:earn:' || key, 'seed', 'EARN', member_id, points, ${id(KIND.purchase, 'key')}, at, at from sd_a`,
      [],
    ],
    [
      'points_lot',
      `insert into points_lot (id, member_id, journal_id, earned, remaining, earned_at, expires_at)
       select ${id(KIND.lot, 'key')}, member_id, ${id(KIND.earn, 'key')}, points, remaining, at, expires_at from sd_a`,
      [],
    ],
    [
      'points_transfer',
      `insert into points_transfer (id, journal_id, debit_account_id, credit_account_id, amount, lot_id, created_at)
       select ${id(KIND.earnTransfer, 'key')}, ${id(KIND.earn, 'key')}, issuer, 'member:' || member_id, points, ${id(KIND.lot, 'key')}, at from sd_a where points > 0`,
      [],
    ],
    [
      'points_journal',
      `insert into points_journal (id, idempotency_key, request_hash, kind, member_id, points, activity_id, reverses_id, effective_at, created_at)
       select ${id(KIND.reversal, 'key')}, 'seed:${S}:takeback:' || key, 'seed', 'REVERSAL', member_id, taken_back, ${id(KIND.refundActivity, 'key')}, ${id(KIND.earn, 'key')},
              refunded_at, refunded_at
         from sd_a where taken_back > 0`,
      [],
    ],
    [
      'points_transfer',
      `insert into points_transfer (id, journal_id, debit_account_id, credit_account_id, amount, lot_id, created_at)
       select ${id(KIND.reversalTransfer, 'key')}, ${id(KIND.reversal, 'key')}, 'member:' || member_id, case when issuer = 'issued' then 'reversed' else issuer end,
              taken_back, ${id(KIND.lot, 'key')}, refunded_at
         from sd_a where taken_back > 0`,
      [],
    ],
    [
      'points_journal',
      `insert into points_journal (id, idempotency_key, request_hash, kind, member_id, points, effective_at, created_at)
       select ${id(KIND.spend, 'key')}, 'seed:${S}:spend:' || key, 'seed', 'SPEND', member_id, spent, spent_at, spent_at from sd_a where spent > 0`,
      [],
    ],
    [
      'points_transfer',
      `insert into points_transfer (id, journal_id, debit_account_id, credit_account_id, amount, lot_id, created_at)
       select ${id(KIND.spendTransfer, 'key')}, ${id(KIND.spend, 'key')}, 'member:' || member_id, 'redeemed', spent, ${id(KIND.lot, 'key')}, spent_at
         from sd_a where spent > 0`,
      [],
    ],
    [
      'points_journal',
      `insert into points_journal (id, idempotency_key, request_hash, kind, member_id, points, effective_at, created_at)
       select ${id(KIND.expiry, 'key')}, 'seed:${S}:expiry:' || key, 'seed', 'EXPIRY', member_id, expired, expires_at, expires_at from sd_a where expired > 0`,
      [],
    ],
    [
      'points_transfer',
      `insert into points_transfer (id, journal_id, debit_account_id, credit_account_id, amount, lot_id, created_at)
       select ${id(KIND.expiryTransfer, 'key')}, ${id(KIND.expiry, 'key')}, 'member:' || member_id, 'expired', expired, ${id(KIND.lot, 'key')}, expires_at
         from sd_a where expired > 0`,
      [],
    ],
    [
      null,
      // Tiers from the trailing 12 months' net spend, reached one step at a time over the year;
      // 10% of members below Diamond once held the tier above and were moved down 4 months ago.
      `create temp table sd_t on commit drop as
       with spend as (
         select m.i, m.id as member_id, m.created_at, m.eng, coalesce(sum(a.amount - a.refunded) filter (where a.at > $1::timestamptz - interval '365 days'), 0) as spend, count(a.key) as orders
           from sd_m m left join sd_a a on a.member_id = m.id group by m.i, m.id, m.created_at, m.eng
       )
       select s.*, t.code as tier, t.rank from spend s
       cross join lateral (select code, rank from sd_tiers where min_spend <= s.spend order by rank desc limit 1) t
        where s.orders > 0`,
      [now],
    ],
    [
      'tier_change',
      `insert into tier_change (id, member_id, from_tier, to_tier, reason, at, qualifying_spend, created_at)
       select ${id(KIND.tierChange, 't.i * 8 + k')}, t.member_id, f.code, u.code, 'UPGRADE', at, t.spend, at
         from sd_t t cross join lateral generate_series(1, t.rank) k
         join sd_tiers f on f.rank = k - 1 join sd_tiers u on u.rank = k
         cross join lateral (select greatest(t.created_at, $1::timestamptz - interval '330 days' * (1 - k::double precision / (t.rank + 1))) as at) x`,
      [now],
    ],
    [
      'tier_change',
      `insert into tier_change (id, member_id, from_tier, to_tier, reason, at, qualifying_spend, created_at)
       select ${id(KIND.tierChange, 't.i * 8 + 6')}, t.member_id, t.tier, u.code, 'UPGRADE'::tier_change_reason, up.at, t.spend, up.at
         from sd_t t join sd_tiers u on u.rank = t.rank + 1
         cross join lateral (select $1::timestamptz - interval '300 days' as at) up
        where ${r('t.i', 30)} < 0.1 and t.created_at < up.at
       union all
       select ${id(KIND.tierChange, 't.i * 8 + 7')}, t.member_id, u.code, t.tier, 'EVALUATION_DOWNGRADE'::tier_change_reason, down.at, t.spend, down.at
         from sd_t t join sd_tiers u on u.rank = t.rank + 1
         cross join lateral (select (date_trunc('month', ($1::timestamptz - interval '120 days') at time zone $2)) at time zone $2 as at) down
        where ${r('t.i', 30)} < 0.1 and t.created_at < $1::timestamptz - interval '300 days'`,
      [now, tz],
    ],
    [
      'member_tier',
      `insert into member_tier (member_id, tier_code, since, created_at)
       select t.member_id, t.tier, coalesce((select max(c.at) from tier_change c where c.member_id = t.member_id), t.created_at), t.created_at from sd_t t`,
      [],
    ],
    [
      'entitlement',
      // What tiers unlock, for the current month.
      `insert into entitlement (id, member_id, benefit_id, status, period_start, period_end, quota, used, created_at, activated_at, source, source_ref)
       select ${id(KIND.tierRight, 't.i * 8 + tr.pos')}, t.member_id, tr.benefit_id, 'ACTIVE', month.start, month.next, tr.quota,
              0, month.start, month.start, 'TIER', tr.tier_code
         from sd_t t join sd_tier_rights tr on tr.rank <= t.rank
         cross join lateral (select (date_trunc('month', $1::timestamptz at time zone $2)) at time zone $2 as start,
                                    (date_trunc('month', $1::timestamptz at time zone $2) + interval '1 month') at time zone $2 as next) month`,
      [now, tz],
    ],
  ];
}
