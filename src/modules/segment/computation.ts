import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { pgTextArray } from '../../platform/sql.js';
import type { SegmentConfigSnapshot } from './config-store.js';
import { SegmentRunTrigger } from './segment.entity.js';
import { rfmAssignments, thresholdCuts } from './segment-config.js';

/** The key of the members computed together: those on real time, or one test clock's. */
export function scopeOf(clockId: string | null): string {
  return clockId ? `clock:${clockId}` : 'real-time';
}

/** What one computation did. */
export interface SegmentRunSummary {
  runId: string;
  scope: string;
  testClockId: string | null;
  asOf: Date;
  trigger: SegmentRunTrigger;
  configVersion: number;
  /** Members scored. */
  members: number;
  /** Memberships of segments that began (members entering one) and ended. */
  entered: number;
  left: number;
  /** Members per segment code afterwards (every code the configuration defines, zero included). */
  counts: Record<string, number>;
  durationMs: number;
}

export interface ComputeRequest {
  clockId: string | null;
  /** The instant to compute as of: real time, or the clock's time. */
  asOf: Date;
  trigger: SegmentRunTrigger;
  snapshot: SegmentConfigSnapshot;
  /**
   * How to run the same SQL: `statement` (its stages as CTEs of two statements) or `temp-tables`
   * (each stage a temp table, analyzed where the planner needs it). @default by the scope's
   * size, {@link SMALL_SCOPE_MEMBERS}
   */
  form?: SegmentComputationForm;
}

export type SegmentComputationForm = 'statement' | 'temp-tables';

/**
 * Scopes of at most this many members (a test clock's handful, a small real-time population) are
 * computed in two statements: five temp tables, three `analyze`s and a dozen statements cost a test
 * clock about 20-60 ms a simulated day for one member, and the planner sees the base tables'
 * estimates through the CTEs. Larger scopes keep the temp tables, whose statistics lead the
 * planner to the activity index for a million members.
 */
export const SMALL_SCOPE_MEMBERS = 200;

const DAY_MS = 86_400_000;

/** SQL with its `?` parameters, in the order they appear. */
interface Fragment {
  sql: string;
  params: unknown[];
}

/** One stage of the computation: a temp table of that name, or a CTE of that name (the SQL reading it is the same). */
interface Stage extends Fragment {
  name: 'segment_members' | 'segment_calc' | 'segment_scores' | 'segment_result' | 'segment_want';
  /** Statistics for the planner when it is a temp table (which has none). */
  analyze: boolean;
}

/**
 * The computation's SQL, once: the stages (members, figures, scores, result, wanted segments)
 * and the writes that apply them (scores replaced, segments left, kept and entered, each change
 * logged). {@link computeSegments} runs it as temp tables or as statements of CTEs.
 */
function computationSql(request: ComputeRequest, runId: string) {
  const { clockId, asOf: t, snapshot } = request;
  const config = snapshot.config;
  const windowStart = new Date(t.getTime() - config.rfm.windowDays * DAY_MS);
  const stages: Stage[] = [];

  // The members: not erased, joined by then; on real time, or on this clock (joined at the clock's time when attached).
  stages.push({
    name: 'segment_members',
    analyze: true, // a test clock's handful of members must meet the activity index, not a scan
    ...(clockId
      ? {
          sql: `select tm.member_id, coalesce(tm.joined_at, c.created_at) as joined_at
                  from test_clock_member tm join test_clock c on c.id = tm.test_clock_id join member m on m.id = tm.member_id
                 where tm.test_clock_id = ? and m.erased_at is null`,
          params: [clockId],
        }
      : {
          sql: `select m.id as member_id, m.created_at as joined_at from member m
                 where m.erased_at is null and m.created_at <= ? and not exists (select 1 from test_clock_member tm where tm.member_id = m.id)`,
          params: [t],
        }),
  });

  // Their figures: purchases in the window net of their refunds so far (never gross), the last activity that counts.
  stages.push({
    name: 'segment_calc',
    analyze: true,
    sql: `with refunded as (
            select r.refund_of_id as purchase_id, sum(r.amount) as amount
              from activity r join segment_members s on s.member_id = r.member_id
             where r.type = 'REFUND' and r.occurred_at <= ? and r.refund_of_id is not null
             group by r.refund_of_id),
          net as (
            select p.member_id, p.occurred_at, p.amount - coalesce(f.amount, 0) as net
              from activity p join segment_members s on s.member_id = p.member_id
              left join refunded f on f.purchase_id = p.id
             where p.type = 'PURCHASE' and p.occurred_at > ? and p.occurred_at <= ?),
          buys as (
            select member_id, count(*) filter (where net > 0)::int as frequency, coalesce(sum(net) filter (where net > 0), 0)::bigint as monetary,
                   max(occurred_at) filter (where net > 0) as last_purchase_at
              from net group by member_id),
          seen as (
            select a.member_id, max(a.occurred_at) as last_activity_at
              from activity a join segment_members s on s.member_id = a.member_id
             where a.type = any(?::activity_type[]) and a.occurred_at <= ?
             group by a.member_id)
          select s.member_id, s.joined_at, seen.last_activity_at, b.last_purchase_at,
                 coalesce(b.frequency, 0) as frequency, coalesce(b.monetary, 0)::bigint as monetary,
                 case when b.frequency > 0 then floor(extract(epoch from (?::timestamptz - b.last_purchase_at)) / 86400)::int end as recency_days
            from segment_members s left join buys b on b.member_id = s.member_id left join seen on seen.member_id = s.member_id`,
    params: [t, windowStart, t, pgTextArray(config.lifecycle.activityTypes), t, t],
  });

  // Scores of the buyers: quintiles among them (the tie-midpoint rule of quintileScore), or fixed thresholds.
  const scoring = config.rfm.scoring;
  if (scoring.method === 'QUINTILES') {
    const quintile = (order: string, value: string) => `1 + (5 * (2 * (rank() over (order by ${order}) - 1) + count(*) over (partition by ${value}))) / (2 * count(*) over ())`;
    stages.push({
      name: 'segment_scores',
      analyze: false,
      sql: `select member_id, ${quintile('-recency_days', 'recency_days')} as r, ${quintile('frequency', 'frequency')} as f, ${quintile('monetary', 'monetary')} as m
              from segment_calc where frequency > 0`,
      params: [],
    });
  } else {
    const cuts = thresholdCuts(scoring);
    const score = (expr: string) => `1 + (${expr} > ?)::int + (${expr} > ?)::int + (${expr} > ?)::int + (${expr} > ?)::int`;
    stages.push({
      name: 'segment_scores',
      analyze: false,
      sql: `select member_id, ${score('-recency_days')} as r, ${score('frequency')} as f, ${score('monetary')} as m from segment_calc where frequency > 0`,
      params: [...cuts.r, ...cuts.f, ...cuts.m],
    });
  }

  const cells = rfmAssignments(config.rfm.segments);
  const { newDays, dormantAfterDays, churnedAfterDays } = config.lifecycle;
  stages.push({
    name: 'segment_result',
    analyze: false,
    sql: `select s.*, cell.code as rfm_segment from (
            select c.*, q.r::int as r, q.f::int as f, q.m::int as m,
                   case when c.joined_at > ?::timestamptz - make_interval(days => ?) then 'NEW'
                        when greatest(c.joined_at, c.last_activity_at) > ?::timestamptz - make_interval(days => ?) then 'ACTIVE'
                        when greatest(c.joined_at, c.last_activity_at) > ?::timestamptz - make_interval(days => ?) then 'DORMANT'
                        else 'CHURNED' end as stage
              from segment_calc c left join segment_scores q on q.member_id = c.member_id) s
          left join unnest(?::int[], ?::int[], ?::int[], ?::text[]) as cell(r, f, m, code)
            on cell.r = coalesce(s.r, 0) and cell.f = coalesce(s.f, 0) and cell.m = coalesce(s.m, 0)`,
    params: [
      t,
      newDays,
      t,
      dormantAfterDays,
      t,
      churnedAfterDays,
      `{${cells.map((c) => c.r ?? 0).join(',')}}`,
      `{${cells.map((c) => c.f ?? 0).join(',')}}`,
      `{${cells.map((c) => c.m ?? 0).join(',')}}`,
      pgTextArray(cells.map((c) => c.code)),
    ],
  });

  // The segments each member is in now.
  const valueSelects = config.value.map((v) =>
    v.monetaryAtLeast !== undefined
      ? { sql: `select member_id, ?::text as code, 'VALUE'::segment_kind as kind from segment_result where monetary >= ?`, params: [v.code, v.monetaryAtLeast] }
      : {
          sql: `select member_id, ?::text as code, 'VALUE'::segment_kind as kind from (
                  select member_id, cume_dist() over (order by monetary desc) as share from segment_result where monetary > 0) ranked
                 where share <= ?`,
          params: [v.code, v.topPercent! / 100],
        },
  );
  stages.push({
    name: 'segment_want',
    analyze: true,
    sql: `select member_id, rfm_segment as code, 'RFM'::segment_kind as kind from segment_result
          union all select member_id, stage, 'LIFECYCLE'::segment_kind from segment_result
          ${valueSelects.map((v) => `union all ${v.sql}`).join('\n')}`,
    params: valueSelects.flatMap((v) => v.params),
  });

  // Scores: one row per member, replaced; members who left the clock's set (erased) lose theirs.
  const upsertScores: Fragment = {
    sql: `insert into member_segment_score (member_id, test_clock_id, joined_at, last_activity_at, last_purchase_at, recency_days, frequency, monetary,
                                            recency_score, frequency_score, monetary_score, rfm_segment, stage, computed_at, run_id)
          select member_id, ?::uuid, joined_at, last_activity_at, last_purchase_at, recency_days, frequency, monetary, r, f, m, rfm_segment, stage, ?, ?
            from segment_result
          on conflict (member_id) do update set test_clock_id = excluded.test_clock_id, joined_at = excluded.joined_at, last_activity_at = excluded.last_activity_at,
            last_purchase_at = excluded.last_purchase_at, recency_days = excluded.recency_days, frequency = excluded.frequency, monetary = excluded.monetary,
            recency_score = excluded.recency_score, frequency_score = excluded.frequency_score, monetary_score = excluded.monetary_score,
            rfm_segment = excluded.rfm_segment, stage = excluded.stage, computed_at = excluded.computed_at, run_id = excluded.run_id`,
    params: [clockId, t, runId],
  };
  const removeScores: Fragment = {
    sql: `delete from member_segment_score s where ${clockId ? 's.test_clock_id = ?' : 's.test_clock_id is null'} and not exists (select 1 from segment_members m where m.member_id = s.member_id)`,
    params: clockId ? [clockId] : [],
  };

  // Left: rows of this clock's members no longer wanted (on a test clock, also rows of members who joined it since they were
  // last computed on real time, found through their ids, and rows of members erased since, through the clock's index).
  const ours = clockId
    ? `(ms.member_id, ms.segment_code) in (
         select x.member_id, x.segment_code from member_segment x where x.test_clock_id = ?
         union all select x.member_id, x.segment_code from segment_members m join member_segment x on x.member_id = m.member_id)`
    : `ms.test_clock_id is null`;
  const gone: Fragment = {
    sql: `delete from member_segment ms
           where ${ours} and not exists (select 1 from segment_want w where w.member_id = ms.member_id and w.code = ms.segment_code)
          returning ms.member_id, ms.segment_code, ms.kind`,
    params: clockId ? [clockId] : [],
  };
  // Still there: the last computation that found them in it moves on (one join, not a probe per row). Disjoint from the rows left.
  const kept: Fragment = {
    sql: `update member_segment ms set computed_at = ?, test_clock_id = ?::uuid, kind = w.kind
            from segment_want w where w.member_id = ms.member_id and w.code = ms.segment_code`,
    params: [t, clockId],
  };
  // Entered: the rows that were not there. The primary key tells (not an anti-join: planned while
  // the table is empty, a first computation probed it with a scan per row that read every row the
  // statement had inserted so far, 500 rows/s at a million members).
  const came: Fragment = {
    sql: `insert into member_segment (member_id, segment_code, kind, test_clock_id, entered_at, computed_at)
          select w.member_id, w.code, w.kind, ?::uuid, ?, ? from segment_want w
          on conflict (member_id, segment_code) do nothing
          returning member_id, segment_code, kind`,
    params: [clockId, t, t],
  };
  const logged = (from: string, change: 'LEFT' | 'ENTERED'): Fragment => ({
    sql: `insert into member_segment_change (id, member_id, segment_code, kind, change, at, run_id)
          select gen_random_uuid(), member_id, segment_code, kind, '${change}', ?, ? from ${from} returning 1`,
    params: [t, runId],
  });
  return { stages, upsertScores, removeScores, gone, goneLogged: logged('gone', 'LEFT'), kept, came, cameLogged: logged('came', 'ENTERED') };
}

/** A segment a member is in now (a row of `segment_want`). */
interface WantedRow {
  member_id: string;
  code: string;
  kind: string;
}

/** `with a as (…), b as (…) <tail>`: fragments joined as CTEs, their parameters in order. */
function withCtes(ctes: ReadonlyArray<readonly [string, Fragment]>, tail: Fragment): Fragment {
  return {
    sql: `with ${ctes.map(([name, f]) => `${name} as (${f.sql})`).join(',\n')}\n${tail.sql}`,
    params: [...ctes.flatMap(([, f]) => f.params), ...tail.params],
  };
}

/**
 * Computes every segment of the members of one clock as of an instant, in set-based SQL, in the
 * caller's transaction (which holds the clock's schedule row, so computations of one clock never
 * overlap). Figures per member from the activity table (net purchases over the window, the last
 * activity), scores, the RFM segment from the configuration's table of the 126 possible scores,
 * the lifecycle stage and the value segments; then the difference with what `member_segment`
 * holds: rows of segments left are deleted, new ones inserted, both recorded in
 * `member_segment_change`. A member enters a segment at whichever computation first finds them
 * in it, however they got there.
 *
 * The same SQL runs in one of two forms: a scope of at most {@link SMALL_SCOPE_MEMBERS} members
 * in two statements (the stages as CTEs, the writes as data-modifying CTEs), a larger one stage
 * by stage through analyzed temp tables.
 */
export async function computeSegments(tx: EntityManager, request: ComputeRequest): Promise<SegmentRunSummary> {
  const started = process.hrtime.bigint();
  const { clockId, asOf: t, snapshot } = request;
  const config = snapshot.config;
  const runId = randomUUID();
  const sql = computationSql(request, runId);
  const [members] = sql.stages;

  let form = request.form;
  if (!form) {
    // Stops counting past the bound: cheap for a million members too.
    const [{ n }] = (await tx.execute<{ n: number }[]>(`select count(*)::int as n from (${members!.sql} limit ?) s`, [...members!.params, SMALL_SCOPE_MEMBERS + 1])) as [{ n: number }];
    form = n <= SMALL_SCOPE_MEMBERS ? 'statement' : 'temp-tables';
  }

  let memberCount: number;
  let entered: number;
  let left: number;
  const counts: Record<string, number> = Object.fromEntries([...config.rfm.segments.map((s) => s.code), 'NEW', 'ACTIVE', 'DORMANT', 'CHURNED', ...config.value.map((v) => v.code)].map((code) => [code, 0]));
  if (form === 'statement') {
    // Two statements: a member moving from NEW to ACTIVE leaves one row and enters another under the same unique
    // (member, kind), and a data-modifying CTE's order against another's is unspecified. The first replaces the scores,
    // deletes the rows left and moves the rows kept on, returning the segments wanted; the second inserts those not there.
    const first = withCtes(
      [
        ...sql.stages.map((stage) => [stage.name, stage] as const),
        ['scores_upserted', sql.upsertScores],
        ['scores_removed', sql.removeScores],
        ['gone', sql.gone],
        ['gone_logged', sql.goneLogged],
        ['kept', sql.kept],
      ],
      {
        sql: `select (select count(*)::int from segment_members) as members, (select count(*)::int from gone_logged) as left_,
                     (select coalesce(json_agg(w), '[]') from segment_want w) as want`,
        params: [],
      },
    );
    const [row] = await tx.execute<{ members: number; left_: number; want: WantedRow[] | string }[]>(first.sql, first.params);
    const want = typeof row!.want === 'string' ? (JSON.parse(row!.want) as WantedRow[]) : row!.want;
    memberCount = row!.members;
    left = row!.left_;
    for (const w of want) counts[w.code] = (counts[w.code] ?? 0) + 1;
    entered = 0;
    if (want.length > 0) {
      const wanted: Fragment = { sql: `select * from json_to_recordset(?::json) as w(member_id uuid, code text, kind segment_kind)`, params: [JSON.stringify(want)] };
      const second = withCtes([['segment_want', wanted], ['came', sql.came], ['logged', sql.cameLogged]], { sql: `select count(*)::int as n from logged`, params: [] });
      entered = ((await tx.execute<{ n: number }[]>(second.sql, second.params)) as [{ n: number }])[0].n;
    }
  } else {
    for (const stage of sql.stages) {
      await tx.execute(`create temp table ${stage.name} on commit drop as ${stage.sql}`, stage.params);
      if (stage.analyze) await tx.execute(`analyze ${stage.name}`);
    }
    [{ n: memberCount }] = (await tx.execute<{ n: number }[]>(`select count(*)::int as n from segment_members`)) as [{ n: number }];
    await tx.execute(sql.upsertScores.sql, sql.upsertScores.params);
    await tx.execute(sql.removeScores.sql, sql.removeScores.params);
    const count = async (f: Fragment) => ((await tx.execute<{ n: number }[]>(f.sql, f.params)) as [{ n: number }])[0].n;
    left = await count(withCtes([['gone', sql.gone], ['logged', sql.goneLogged]], { sql: `select count(*)::int as n from logged`, params: [] }));
    await tx.execute(sql.kept.sql, sql.kept.params);
    entered = await count(withCtes([['came', sql.came], ['logged', sql.cameLogged]], { sql: `select count(*)::int as n from logged`, params: [] }));
    const countRows = await tx.execute<{ code: string; n: number }[]>(`select code, count(*)::int as n from segment_want group by code`);
    for (const row of countRows) counts[row.code] = row.n;
    await tx.execute(`drop table ${sql.stages.map((s) => s.name).reverse().join(', ')}`);
  }

  const summary: SegmentRunSummary = {
    runId,
    scope: scopeOf(clockId),
    testClockId: clockId,
    asOf: t,
    trigger: request.trigger,
    configVersion: snapshot.version,
    members: memberCount,
    entered,
    left,
    counts,
    durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e6),
  };
  await tx.execute(
    `insert into segment_run (id, scope, test_clock_id, as_of, trigger, config_version, members, entered, "left", counts, duration_ms) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [runId, summary.scope, clockId, t, summary.trigger, summary.configVersion, summary.members, summary.entered, summary.left, JSON.stringify(counts), summary.durationMs],
  );
  return summary;
}
