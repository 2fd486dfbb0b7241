// `npm run bench:outbox`: provisioning events per second that the outbox delivers to the
// partners' sandboxes (real HTTP servers on loopback, in a process of their own, as partners
// are: bench/partner-sandboxes-main.ts), driven by worker
// processes (the compiled worker-main, as production runs it), with a run that delivers one
// event per claim beside it in the same run.
//
// Each run seeds its own members, each with the four partner rights of PLUS (StreamFlix,
// SparkWash, BrewBar, SkyMiles) and their events: one right in eight gets activate, revoke,
// activate and one in eight activate, revoke, queued member after member so an entitlement's
// later events sit right behind its first in claim order. The events are seeded not yet due,
// the workers started, then every event released at one instant; the rate runs from that
// instant to the last event delivered (database clock). Afterwards it checks that every event
// was delivered, that each partner applied each event once (its sandbox records every effect
// with the event id) and that each entitlement's effects reached the partner in the order its
// events were created.
//
//   BENCH_OUTBOX_EVENTS           events of the measured run (20,000)
//   BENCH_OUTBOX_WORKERS          worker processes of the measured run (2)
//   BENCH_OUTBOX_BASELINE_EVENTS  events of the one-at-a-time run, one worker with
//                                 OUTBOX_BATCH_SIZE=1 and OUTBOX_LANES=1 (2,000; 0 skips it)
//   OUTBOX_BATCH_SIZE, OUTBOX_LANES, OUTBOX_CONCURRENCY  the measured run's worker settings
//                                 (the workers' defaults when unset)
// On DATABASE_URL's server, else an embedded PostgreSQL.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import { startPartnerSandboxes } from './partner-sandboxes.js';
import { distFile, machineBusySeconds, processCpuSeconds, startChild, runBenchMain, type Child } from './processes.js';
import { createBenchDatabase, prepareBenchState, type BenchState } from './setup.js';

const log = (line: string) => console.log(line);
const fmt = (n: number) => n.toLocaleString('en-US');

const settings = {
  events: Number(process.env.BENCH_OUTBOX_EVENTS ?? 20_000),
  workers: Number(process.env.BENCH_OUTBOX_WORKERS ?? 2),
  baselineEvents: Number(process.env.BENCH_OUTBOX_BASELINE_EVENTS ?? 2_000),
};
const cleanups: Array<() => Promise<void>> = [];

/** The PLUS rights, one per partner: what a renewal announces to each. */
const RIGHTS = ['STREAMING_VIP', 'CAR_WASH', 'COFFEE', 'SKYMILES_BONUS'] as const;

/** Effects a partner records on its own later (a credit, a member linking an account): not deliveries. */
const PARTNER_INITIATED = new Set(['MILES_CREDITED', 'CONVERSION_REJECTED', 'RIGHT_LINKED']);

interface SeededEvent {
  id: string;
  entitlementId: string;
  partnerId: string;
}

interface RunResult {
  label: string;
  events: number;
  workers: number;
  seconds: number;
  eventsPerSecond: number;
  /** Deliveries beyond one per event (retries, lease expiries). */
  extraAttempts: number;
  /**
   * CPU seconds of the workers, of the sandboxes' process, of the PostgreSQL backends of the
   * bench database (those still connected at the end), and of the whole machine.
   */
  cpu: { workers: number; sandboxes: number; database: number; machine: number };
  problems: string[];
}

/** The types of an entitlement's events, in creation order. */
function chainOf(index: number): Array<'right.activate' | 'right.revoke'> {
  if (index % 8 === 0) return ['right.activate', 'right.revoke', 'right.activate'];
  if (index % 8 === 1) return ['right.activate', 'right.revoke'];
  return ['right.activate'];
}

/**
 * Seeds members with active PLUS memberships and their four rights, and `count` events for
 * those rights, not due before they are released (run mark `mark` in `request_id`).
 */
async function seedEvents(client: pg.Client, count: number, mark: string): Promise<SeededEvent[]> {
  const {
    rows: [plan],
  } = await client.query<{ plan_id: string; version_id: string }>(
    `select p.id as plan_id, bv.id as version_id from plan p join bundle_version bv on bv.bundle_id = p.bundle_id where p.code = 'PLUS' order by bv.version desc limit 1`,
  );
  const { rows: benefits } = await client.query<{ id: string; code: string; partner_id: string; quota: number | null }>(
    `select b.id, b.code, b.partner_id, bb.quota from bundle_benefit bb join benefit b on b.id = bb.benefit_id
     where bb.bundle_version_id = $2 and b.code = any($1::text[])`,
    [RIGHTS, plan!.version_id],
  );
  if (benefits.length !== RIGHTS.length) throw new Error(`the demo catalog lacks one of ${RIGHTS.join(', ')}`);
  const periodStart = new Date(Date.now() - 86_400_000);
  const periodEnd = new Date(periodStart.getTime() + 365 * 86_400_000);
  const base = Date.now() - 3_600_000;
  const events: SeededEvent[] = [];
  const eventTypes: string[] = [];
  const memberIds: string[] = [];
  const ents = { id: [] as string[], member: [] as string[], benefit: [] as string[], quota: [] as Array<number | null>, status: [] as string[] };
  let entitlementIndex = 0;
  while (events.length < count) {
    const memberId = randomUUID();
    memberIds.push(memberId);
    // A member's events in order: the four activations, then the later events of its rights.
    const later: Array<{ entitlementId: string; partnerId: string; type: string }[]> = [];
    for (const benefit of benefits) {
      const entitlementId = randomUUID();
      ents.id.push(entitlementId);
      ents.member.push(memberId);
      ents.benefit.push(benefit.id);
      ents.quota.push(benefit.quota);
      // As materialization leaves them: a right the partner confirms later waits for it.
      ents.status.push(benefit.partner_id === 'streamflix' || benefit.partner_id === 'skymiles' ? 'PENDING_PROVISION' : 'ACTIVE');
      const [first, ...rest] = chainOf(entitlementIndex++);
      events.push({ id: randomUUID(), entitlementId, partnerId: benefit.partner_id });
      eventTypes.push(first!);
      rest.forEach((type, step) => (later[step] ??= []).push({ entitlementId, partnerId: benefit.partner_id, type }));
    }
    for (const step of later) {
      for (const event of step) {
        events.push({ id: randomUUID(), entitlementId: event.entitlementId, partnerId: event.partnerId });
        eventTypes.push(event.type);
      }
    }
  }
  const membershipIds = memberIds.map(() => randomUUID());
  await client.query('begin');
  await client.query(`insert into member (id, issuer, subject) select id, $2, id::text from unnest($1::uuid[]) as id`, [memberIds, mark]);
  await client.query(
    `insert into membership (id, member_id, plan_id, bundle_version_id, status, idempotency_key, current_period_start, current_period_end, auto_renew)
     select m.id, m.member_id, $3, $4, 'ACTIVE', $5, $6, $7, false from unnest($1::uuid[], $2::uuid[]) as m(id, member_id)`,
    [membershipIds, memberIds, plan!.plan_id, plan!.version_id, mark, periodStart, periodEnd],
  );
  const membershipOf = new Map(memberIds.map((id, i) => [id, membershipIds[i]!]));
  await client.query(
    `insert into entitlement (id, member_id, membership_id, benefit_id, status, period_start, period_end, quota, activated_at)
     select e.id, e.member_id, e.membership_id, e.benefit_id, e.status::entitlement_status, $6, $7, e.quota,
            case when e.status = 'ACTIVE' then $6::timestamptz end
     from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $8::int[]) as e(id, member_id, membership_id, benefit_id, status, quota)`,
    [ents.id, ents.member, ents.member.map((m) => membershipOf.get(m)!), ents.benefit, ents.status, periodStart, periodEnd, ents.quota],
  );
  // Created a millisecond apart in the order built above; due only once released.
  await client.query(
    `insert into outbox_event (id, partner_id, type, entitlement_id, request_id, created_at, available_at)
     select e.id, e.partner_id, e.type, e.entitlement_id, $5, $6::timestamptz + (e.n - 1) * interval '1 millisecond', 'infinity'
     from unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[]) with ordinality as e(id, partner_id, type, entitlement_id, n)`,
    [events.map((e) => e.id), events.map((e) => e.partnerId), eventTypes, events.map((e) => e.entitlementId), mark, new Date(base)],
  );
  await client.query('commit');
  await client.query('analyze member; analyze membership; analyze entitlement; analyze outbox_event');
  return events;
}

interface PartnerState {
  effects: Array<{ eventId: string | null; action: string; entitlementId?: string; conversionId?: string }>;
  provisioningCalls?: Record<string, number>;
}

async function partnerState(env: NodeJS.ProcessEnv, partnerId: string): Promise<PartnerState> {
  const prefix = `PARTNER_${partnerId.toUpperCase()}`;
  const response = await fetch(`${env[`${prefix}_URL`]}/admin/state`, { headers: { authorization: `Bearer ${env[`${prefix}_API_KEY`]}` } });
  if (!response.ok) throw new Error(`${partnerId} sandbox state: HTTP ${response.status}`);
  return (await response.json()) as PartnerState;
}

/** Every event delivered and applied once at its partner, each entitlement's in creation order. */
async function check(client: pg.Client, env: NodeJS.ProcessEnv, mark: string, events: SeededEvent[]): Promise<{ problems: string[]; extraAttempts: number }> {
  const problems: string[] = [];
  const {
    rows: [db],
  } = await client.query<{ undelivered: number; dead: number; extra: number }>(
    `select count(*) filter (where delivered_at is null)::int as undelivered, count(*) filter (where dead_at is not null)::int as dead,
            coalesce(sum(attempts - 1), 0)::int as extra
     from outbox_event where request_id = $1`,
    [mark],
  );
  if (db!.undelivered) problems.push(`${db!.undelivered} events not delivered`);
  if (db!.dead) problems.push(`${db!.dead} events dead`);
  const expected = new Map<string, string[]>();
  for (const event of events) {
    const list = expected.get(event.entitlementId) ?? [];
    list.push(event.id);
    expected.set(event.entitlementId, list);
  }
  const partnerOf = new Map(events.map((e) => [e.entitlementId, e.partnerId]));
  for (const partnerId of new Set(events.map((e) => e.partnerId))) {
    const state = await partnerState(env, partnerId);
    const seen = new Map<string, string[]>();
    for (const effect of state.effects) {
      const entitlementId = effect.entitlementId ?? effect.conversionId;
      if (!entitlementId || !effect.eventId || PARTNER_INITIATED.has(effect.action) || partnerOf.get(entitlementId) !== partnerId) continue;
      const list = seen.get(entitlementId) ?? [];
      list.push(effect.eventId);
      seen.set(entitlementId, list);
    }
    let missing = 0;
    let outOfOrder = 0;
    let twice = 0;
    for (const [entitlementId, ids] of expected) {
      if (partnerOf.get(entitlementId) !== partnerId) continue;
      const got = seen.get(entitlementId) ?? [];
      if (new Set(got).size !== got.length) twice++;
      if (got.length < ids.length || ids.some((id) => !got.includes(id))) missing++;
      else if (got.join() !== ids.join()) outOfOrder++;
    }
    if (missing) problems.push(`${partnerId}: ${missing} entitlements lack an event's effect`);
    if (twice) problems.push(`${partnerId}: ${twice} entitlements have an event applied twice`);
    if (outOfOrder) problems.push(`${partnerId}: ${outOfOrder} entitlements saw their events out of order`);
  }
  return { problems, extraAttempts: db!.extra };
}

async function runOnce(
  state: BenchState & { sandboxes: Child },
  client: pg.Client,
  options: { label: string; events: number; workers: number; workerEnv: Record<string, string> },
): Promise<RunResult> {
  const mark = `bench-outbox-${randomUUID().slice(0, 8)}`;
  log(`${options.label}: seeding ${fmt(options.events)} events…`);
  const events = await seedEvents(client, options.events, mark);
  const workers: Child[] = [];
  try {
    for (let n = 1; n <= options.workers; n++) {
      const env = { ...state.env, WORKER_PORT: '0', ...options.workerEnv };
      const child = await startChild({ name: `worker ${n}`, script: distFile('../src/worker-main.js'), env, ready: /worker listening on (\S+)/, timeoutMs: 90_000 });
      workers.push(child);
    }
    const alive = () => {
      for (const w of workers) if (w.exited()) throw new Error(`${w.name} ${w.exited()}:\n${w.tail().join('\n')}`);
    };
    const cpuBefore = {
      workers: workers.reduce((s, w) => s + w.cpuSeconds(), 0),
      sandboxes: state.sandboxes.cpuSeconds(),
      machine: machineBusySeconds(),
      database: await backendCpu(client),
    };
    const {
      rows: [released],
    } = await client.query<{ at: Date }>(`with r as (update outbox_event set available_at = now() where request_id = $1) select now() as at`, [mark]);
    const started = Date.now();
    let last = { at: started, delivered: 0 };
    for (;;) {
      alive();
      const {
        rows: [row],
      } = await client.query<{ delivered: number }>(`select count(*)::int as delivered from outbox_event where request_id = $1 and delivered_at is not null`, [mark]);
      const delivered = row!.delivered;
      if (delivered >= events.length) break;
      if (Date.now() - started > 30 * 60_000) throw new Error(`${options.label}: only ${delivered}/${events.length} delivered after 30 min`);
      if (Date.now() - last.at >= 5_000) {
        const rate = (delivered - last.delivered) / ((Date.now() - last.at) / 1000);
        log(`  ${fmt(delivered)}/${fmt(events.length)} delivered, ${rate.toFixed(0)}/s over the last ${Math.round((Date.now() - last.at) / 1000)} s`);
        last = { at: Date.now(), delivered };
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const {
      rows: [span],
    } = await client.query<{ seconds: number }>(
      `select extract(epoch from max(delivered_at) - $2::timestamptz)::float8 as seconds from outbox_event where request_id = $1`,
      [mark, released!.at],
    );
    const cpu = {
      workers: workers.reduce((s, w) => s + w.cpuSeconds(), 0) - cpuBefore.workers,
      sandboxes: state.sandboxes.cpuSeconds() - cpuBefore.sandboxes,
      machine: machineBusySeconds() - cpuBefore.machine,
      database: [...(await backendCpu(client))].reduce((sum, [pid, seconds]) => sum + seconds - (cpuBefore.database.get(pid) ?? 0), 0),
    };
    await Promise.all(workers.map((w) => w.stop()));
    const { problems, extraAttempts } = await check(client, state.env, mark, events);
    // Why events were retried, from what the workers logged last (warnings and up).
    if (extraAttempts > 0) for (const w of workers) for (const line of w.tail().filter((l) => l.includes('will retry'))) log(`  ${w.name}: ${line.slice(0, 400)}`);
    // Done with: the next run's workers reconcile current rights at start, which must not cost them these.
    await client.query(`update entitlement set status = 'EXPIRED' where member_id in (select id from member where issuer = $1)`, [mark]);
    const seconds = span!.seconds;
    return { label: options.label, events: events.length, workers: options.workers, seconds, eventsPerSecond: events.length / seconds, extraAttempts, cpu, problems };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}

/** CPU seconds so far of each PostgreSQL backend connected to the bench database (the server runs on this machine). */
async function backendCpu(client: pg.Client): Promise<Map<string, number>> {
  const { rows } = await client.query<{ pid: number }>(`select pid from pg_stat_activity where datname = current_database()`);
  const cpu = new Map<string, number>();
  for (const { pid } of rows) {
    try {
      cpu.set(String(pid), processCpuSeconds(pid));
    } catch {
      // Gone meanwhile, or a server elsewhere: not counted.
    }
  }
  return cpu;
}

function report(result: RunResult): void {
  log(
    `${result.label}: ${fmt(result.events)} events, ${result.workers} worker process(es): ${result.eventsPerSecond.toFixed(0)} events/s ` +
      `(${result.seconds.toFixed(1)} s), ${result.extraAttempts} extra attempts; CPU s: workers ${result.cpu.workers.toFixed(1)}, ` +
      `sandboxes ${result.cpu.sandboxes.toFixed(1)}, PostgreSQL ${result.cpu.database.toFixed(1)}, machine ${result.cpu.machine.toFixed(1)} of ${(result.seconds * os.cpus().length).toFixed(1)} ` +
      `(ours ${perEvent(result).toFixed(2)} ms per event: ${(1000 / perEvent(result)).toFixed(0)} events/s per core); ` +
      (result.problems.length ? `PROBLEMS: ${result.problems.join('; ')}` : 'every event delivered, applied once, in order per entitlement'),
  );
}

/** CPU milliseconds per event of the workers, the sandboxes and PostgreSQL together. */
function perEvent(result: RunResult): number {
  return ((result.cpu.workers + result.cpu.sandboxes + result.cpu.database) * 1000) / result.events;
}

async function main(): Promise<void> {
  const db = await createBenchDatabase(log);
  cleanups.push(() => db.close());
  log(`database: ${db.source}; ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const prepared = await prepareBenchState(db.url, 'sparkwash');
  cleanups.push(() => prepared.close());
  const sandboxes = await startPartnerSandboxes({ env: prepared.env });
  cleanups.push(() => sandboxes.child.stop());
  // The workers call the partners' sandboxes in their own process, not the ones in this process.
  const state = { ...prepared, env: { ...prepared.env, ...sandboxes.env }, sandboxes: sandboxes.child };
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  cleanups.push(() => client.end());
  const results: RunResult[] = [];
  if (settings.baselineEvents > 0) {
    const result = await runOnce(state, client, {
      label: 'one at a time',
      events: settings.baselineEvents,
      workers: 1,
      workerEnv: { OUTBOX_BATCH_SIZE: '1', OUTBOX_LANES: '1', OUTBOX_CONCURRENCY: '1' },
    });
    report(result);
    results.push(result);
  }
  const workerEnv: Record<string, string> = {};
  for (const name of ['OUTBOX_BATCH_SIZE', 'OUTBOX_LANES', 'OUTBOX_CONCURRENCY', 'OUTBOX_PARTNER_CONCURRENCY']) if (process.env[name]) workerEnv[name] = process.env[name]!;
  const label = `batched (${Object.entries(workerEnv).map(([k, v]) => `${k}=${v}`).join(' ') || 'worker defaults'})`;
  const result = await runOnce(state, client, { label, events: settings.events, workers: settings.workers, workerEnv });
  report(result);
  results.push(result);
  log('');
  for (const r of results) report(r);
  log(`load average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  if (results.some((r) => r.problems.length)) throw new Error('a run did not deliver every event once and in order');
}

await runBenchMain(cleanups, main);
