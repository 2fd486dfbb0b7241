// `npm run bench:console`: how fast the console's program dashboards paint on a big program.
// The gateway in production shape (membership and sparkwash subgraphs, the Hive gateway serving
// /console) over BENCH_FIGURES_DATABASE_URL (kept), else over a fresh database of DATABASE_URL's
// server (or an embedded PostgreSQL) holding the history bench:figures generates
// (BENCH_FIGURES_MEMBERS, 1,000,000; bench/program-history.ts, through bench/figures.ts), dropped
// afterwards. Then BENCH_CONSOLE_RUNS (5) times, in a fresh headless Chromium context (nothing
// cached) signed in as BENCH_CONSOLE_ROLE (pm; or analyst), /console#/figures is opened and measured: the shell's
// first-contentful-paint, and for each chart the time from navigation until it drew (its
// `figure:<name>:drawn` mark, console/src/charts.ts); each figures query's server time as the
// browser saw it (request sent → first byte of the answer, every chart asking at once), and
// again alone, replayed one at a time from Node. A section the server refuses (the gateway's
// timeout) is counted as failed with when it said so. Prints a table, writes
// bench-results/console-paint-<role>.json.
import 'reflect-metadata';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Request } from 'playwright-core';
import { figuresSettings, prepareFiguresDatabase } from './figures.js';
import { distFile, startChild, terminateAll, type Child } from './processes.js';
import { createBenchDatabase, prepareBenchState } from './setup.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const RUNS = Number(process.env.BENCH_CONSOLE_RUNS ?? 5);
const CHARTS = ['memberGrowth', 'paidConversion', 'renewals', 'orderValue', 'benefitUtilization', 'memberValue', 'valueBands', 'pointsLiability', 'tierDistribution', 'tierMoves', 'partnerDependency'];
/** The page's section of each chart (a section that fails marks `figure:<section>:failed`). */
const SECTION: Record<string, string> = { valueBands: 'memberValue', tierDistribution: 'tiers', tierMoves: 'tiers' };
/** Who opens the dashboards: `pm` (the liability in money, from the figures tables) or `analyst` (in points, from the points ledger). */
const ROLE = process.env.BENCH_CONSOLE_ROLE ?? 'pm';
if (ROLE !== 'pm' && ROLE !== 'analyst') throw new Error('BENCH_CONSOLE_ROLE must be pm or analyst');
const log = (line: string) => console.log(line);

interface PaintRun {
  firstContentfulPaintMs: number;
  domContentLoadedMs: number;
  /** Navigation start → the chart's `figure:<name>:drawn` mark. */
  drawnMs: Record<string, number>;
  /** Navigation start → its section's `figure:<section>:failed` mark, and what the page showed. */
  failed: Record<string, { ms: number; shown: string }>;
  /** Per operation: request sent → first byte of the answer, as Chromium timed it. */
  serverMs: Record<string, number>;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const operationName = (request: Request): string => {
  const body = request.postDataJSON() as { query?: string } | null;
  return /^\s*(?:query|mutation)\s+(\w+)/.exec(body?.query ?? '')?.[1] ?? '?';
};

if (!Number.isInteger(RUNS) || RUNS <= 0) throw new Error('BENCH_CONSOLE_RUNS must be a positive integer');
const reuse = process.env.BENCH_FIGURES_DATABASE_URL;
const db = reuse ? { url: reuse, source: 'BENCH_FIGURES_DATABASE_URL (kept)', close: async () => {} } : await createBenchDatabase(log);
const children: Child[] = [];
let code = 1;
try {
  log(`database: ${db.source}`);
  const settings = figuresSettings();
  await prepareFiguresDatabase(db.url, settings, log);
  const [{ members }] = await countMembers(db.url);
  const state = await prepareBenchState(db.url, 'sparkwash');
  try {
    const start = async (name: string, script: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp) => {
      const child = await startChild({ name, script, args, env, ready, timeoutMs: 120_000 });
      children.push(child);
      return child;
    };
    const subgraphReady = /^subgraph \S+ listening on (\S+)/;
    const membership = await start('membership subgraph', distFile('../src/subgraph-main.js'), ['membership'], state.env, subgraphReady);
    const sparkwash = await start('sparkwash subgraph', distFile('../src/subgraph-main.js'), ['sparkwash'], state.env, subgraphReady);
    const gateway = await start(
      'hive gateway',
      distFile('../src/gateway-main.js'),
      [],
      { ...state.env, SUBGRAPHS: `membership=${membership.url},sparkwash=${sparkwash.url}`, CONSOLE_DIR: distFile('../console') },
      /^gateway listening on (\S+)/,
    );
    const origin = new URL(gateway.url).origin;
    const credential = await state.devIssuer.mint(`bench-${ROLE}`, { staffRoles: [ROLE === 'pm' ? 'PRODUCT_MANAGER' : 'ANALYST'] });
    log(`gateway: ${origin}; ${RUNS} runs of /console#/figures as ${ROLE === 'pm' ? 'a product manager' : 'an analyst'}, each in a fresh browser context`);

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const runs: PaintRun[] = [];
    const sent = new Map<string, { query: string; variables: unknown }>();
    try {
      for (let i = 0; i <= RUNS; i++) {
        const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
        await context.addInitScript((token) => sessionStorage.setItem('console.credential', token), credential);
        const page = await context.newPage();
        const serverMs: Record<string, number> = {};
        const errors: string[] = [];
        page.on('pageerror', (error) => errors.push(String(error)));
        page.on('requestfinished', (request) => {
          if (!request.url().endsWith('/graphql')) return;
          const timing = request.timing();
          const name = operationName(request);
          serverMs[name] = timing.responseStart - timing.requestStart;
          sent.set(name, request.postDataJSON() as { query: string; variables: unknown });
        });
        await page.goto(`${origin}/console#/figures`);
        const charts = CHARTS.map((name) => ({ name, section: SECTION[name] ?? name }));
        // Every chart drew, or its section showed the server's refusal.
        await page
          .waitForFunction(
            (all) => all.every((c) => performance.getEntriesByName(`figure:${c.name}:drawn`).length > 0 || performance.getEntriesByName(`figure:${c.section}:failed`).length > 0),
            charts,
            { timeout: Number(process.env.BENCH_CONSOLE_TIMEOUT_MS ?? 300_000), polling: 50 },
          )
          .catch(async (error: unknown) => {
            const missing = await page.evaluate((names) => names.filter((n) => !performance.getEntriesByName(`figure:${n}:drawn`).length), CHARTS);
            throw new Error(`not every chart drew: ${missing.join(', ')} (${String(error)})`);
          });
        const measured = await page.evaluate((all) => {
          const navigation = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
          const drawn = all.filter((c) => performance.getEntriesByName(`figure:${c.name}:drawn`).length);
          const failed = all.filter((c) => !performance.getEntriesByName(`figure:${c.name}:drawn`).length);
          return {
            firstContentfulPaintMs: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN,
            domContentLoadedMs: navigation.domContentLoadedEventEnd,
            drawnMs: Object.fromEntries(drawn.map((c) => [c.name, performance.getEntriesByName(`figure:${c.name}:drawn`)[0]!.startTime])),
            failed: Object.fromEntries(
              failed.map((c) => [
                c.name,
                {
                  ms: performance.getEntriesByName(`figure:${c.section}:failed`)[0]!.startTime,
                  shown: (document.querySelector(`section[data-figure="${c.section}"] [role=alert]`) as HTMLElement | null)?.innerText.replace(/\s+/g, ' ') ?? '',
                },
              ]),
            ),
          };
        }, charts);
        if (errors.length) throw new Error(`the page failed: ${errors.join('; ')}`);
        // Run 0 warms the server (its plans and caches); it is not counted.
        if (i > 0) {
          runs.push({ ...measured, serverMs });
          log(`  run ${i}: first paint ${measured.firstContentfulPaintMs.toFixed(0)} ms, every chart drawn by ${Math.max(...Object.values(measured.drawnMs)).toFixed(0)} ms${Object.keys(measured.failed).length ? `; failed: ${Object.entries(measured.failed).map(([n, f]) => `${n} at ${f.ms.toFixed(0)} ms (${f.shown})`).join(', ')}` : ''}`);
        }
        await context.close();
      }
    } finally {
      await browser.close();
    }

    // Each figures query again, alone: what the server takes when no other chart asks at once.
    const alone: Record<string, number> = {};
    const refused = new Set<string>();
    for (const [name, body] of sent) {
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const at = performance.now();
        const res = await fetch(`${origin}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` }, body: JSON.stringify(body) });
        const answer = (await res.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
        times.push(performance.now() - at);
        // A refusal (the gateway's timeout) is timed like an answer, and said in the table.
        if (answer.errors) refused.add(`${name}: ${answer.errors.map((e) => e.extensions?.code).join(', ')}`);
      }
      alone[name] = median(times);
    }

    const summary = {
      firstContentfulPaintMs: median(runs.map((r) => r.firstContentfulPaintMs)),
      domContentLoadedMs: median(runs.map((r) => r.domContentLoadedMs)),
      charts: CHARTS.map((name) => {
        const drawn = runs.map((r) => r.drawnMs[name]).filter((ms): ms is number => ms !== undefined);
        const failed = runs.map((r) => r.failed[name]).filter((f) => f !== undefined);
        return { name, drawnMs: drawn.length ? median(drawn) : NaN, minMs: Math.min(...drawn), maxMs: Math.max(...drawn), failedRuns: failed.length, failedMs: failed.length ? median(failed.map((f) => f.ms)) : null, shown: failed[0]?.shown ?? null };
      }),
      refusedAlone: [...refused],
      queries: [...sent.keys()].sort().map((name) => ({ name, together: median(runs.map((r) => r.serverMs[name] ?? NaN)), alone: alone[name]! })),
    };
    const n = (v: number) => v.toFixed(0).padStart(8);
    log('');
    log(`console paint over ${members.toLocaleString('en-US')} members as ${ROLE}, median of ${RUNS} cold loads (fresh context: nothing cached)`);
    log(`shell: first-contentful-paint ${n(summary.firstContentfulPaintMs)} ms, DOMContentLoaded ${n(summary.domContentLoadedMs)} ms`);
    log(`${'chart'.padEnd(22)} ${'drawn, median ms'.padStart(17)} ${'min–max'.padStart(14)}`);
    for (const c of summary.charts) {
      const failed = c.failedRuns ? `   failed in ${c.failedRuns} of ${RUNS} runs, at ${c.failedMs!.toFixed(0)} ms: ${c.shown}` : '';
      log(`${c.name.padEnd(22)} ${(c.failedRuns === RUNS ? '—' : n(c.drawnMs)).padStart(17)} ${(c.failedRuns === RUNS ? '' : `${c.minMs.toFixed(0)}–${c.maxMs.toFixed(0)}`).padStart(14)}${failed}`);
    }
    log('');
    log(`${'query'.padEnd(40)} ${'server ms, all at once'.padStart(23)} ${'alone'.padStart(8)}`);
    for (const q of summary.queries) log(`${q.name.padEnd(40)} ${n(q.together).padStart(23)} ${n(q.alone)}`);
    for (const r of summary.refusedAlone) log(`refused when replayed alone: ${r}`);
    const outFile = fileURLToPath(new URL(`../../bench-results/console-paint-${ROLE}.json`, import.meta.url));
    await fs.mkdir(path.dirname(outFile), { recursive: true });
    await fs.writeFile(outFile, JSON.stringify({ at: new Date().toISOString(), members, role: ROLE, runs: RUNS, summary, each: runs }, null, 2) + '\n');
    log(`results: ${path.relative(process.cwd(), outFile)}`);
    code = 0;
  } finally {
    for (const child of children.reverse()) await child.stop();
    await state.close();
  }
} finally {
  terminateAll();
  await db.close();
}
process.exit(code);

async function countMembers(url: string): Promise<[{ members: number }]> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ members: number }>(`select count(*)::int as members from member`);
    return rows as [{ members: number }];
  } finally {
    await client.end();
  }
}
