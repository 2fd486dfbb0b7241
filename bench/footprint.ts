// `npm run -s bench:footprint`: what each process shape loads and holds once started, idle.
// Every process runs on the compiled dist files with `--import count-loaded.js`, which
// records each file loaded; once the process says it is ready (and has settled for two
// seconds) a SIGUSR2 makes it write the list and its memory (after a full GC). Prints one
// row per process (files loaded: ours, of which sandbox files; dependencies; RSS; heap) and
// writes bench-results/footprint.json.
//
// The split processes run as in production (NODE_ENV=production: no dev issuer, no
// sandboxes; partners configured by PARTNER_<ID>_URL); the all-in-one process as `npm
// start` runs it (development, sandboxes included).
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { distFile, startChild, terminateAll, type Child } from './processes.js';
import { createBenchDatabase } from './setup.js';

interface Shape {
  name: string;
  script: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  ready: RegExp;
  /** Started after these (their URLs go into its environment). */
  after?: (started: Map<string, Child>) => NodeJS.ProcessEnv;
}

interface Footprint {
  process: string;
  files: number;
  ours: number;
  sandboxFiles: number;
  entityFiles: number;
  dependencies: number;
  rssMiB: number;
  heapMiB: number;
  /** The npm packages that brought the most files. */
  topPackages: Array<[string, number]>;
  /** Our files it loaded, by folder (src/modules/token, partners/sdk, …). */
  ourFolders: Array<[string, number]>;
}

const repoRoot = path.resolve(distFile('.'), '../..');
const distRoot = path.join(repoRoot, 'dist');

const shapes: Shape[] = [
  {
    name: 'all-in-one (npm start)',
    script: distFile('../src/main.js'),
    env: { NODE_ENV: 'development' },
    ready: /(Coalition gateway is up)/,
  },
  {
    name: 'membership subgraph',
    script: distFile('../src/subgraph-main.js'),
    args: ['membership'],
    ready: /listening on (\S+)/,
  },
  {
    name: 'sparkwash subgraph',
    script: distFile('../src/subgraph-main.js'),
    args: ['sparkwash'],
    ready: /listening on (\S+)/,
  },
  {
    name: 'gateway',
    script: distFile('../src/gateway-main.js'),
    ready: /listening on (\S+)/,
    after: (started) => ({
      SUBGRAPHS: `membership=${started.get('membership subgraph')!.url},sparkwash=${started.get('sparkwash subgraph')!.url}`,
    }),
  },
  {
    name: 'worker',
    script: distFile('../src/worker-main.js'),
    ready: /listening on (\S+)/,
  },
];

async function main(): Promise<void> {
  const db = await createBenchDatabase((line) => console.log(line));
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'coalition-footprint-'));
  const started = new Map<string, Child>();
  const results: Footprint[] = [];
  const production: NodeJS.ProcessEnv = {
    NODE_ENV: 'production',
    AUTH_ISSUER: 'https://id.example.com/',
    AUTH_JWKS_URL: 'https://id.example.com/.well-known/jwks.json',
    PSEUDONYM_SECRET: randomBytes(32).toString('base64url'),
    AUDIT_HMAC_KEY: randomBytes(32).toString('base64url'),
    ...Object.fromEntries(
      ['SPARKWASH', 'STREAMFLIX', 'SKYMILES', 'BREWBAR'].flatMap((id) => [
        [`PARTNER_${id}_URL`, 'http://127.0.0.1:9'],
        [`PARTNER_${id}_API_KEY`, 'unused'],
      ]),
    ),
  };
  try {
    for (const shape of shapes) {
      if (!existsSync(shape.script)) {
        console.log(`${shape.name}: ${path.relative(repoRoot, shape.script)} does not exist in this build, skipped`);
        continue;
      }
      const out = path.join(dataDir, `${shape.name.replace(/\W+/g, '-')}.json`);
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        ...production,
        LOG_LEVEL: 'warn',
        DATA_DIR: path.join(dataDir, 'data'),
        DATABASE_URL: db.url,
        HOST: '127.0.0.1',
        PORT: '0',
        METRICS_PORT: '0',
        SUBGRAPH_HOST: '127.0.0.1',
        SUBGRAPH_PORT: '0',
        WORKER_PORT: '0',
        SUBGRAPH_SECRET: 'footprint-secret-footprint-secret-0123456789',
        ...shape.env,
        ...shape.after?.(started),
        FOOTPRINT_OUT: out,
        NODE_OPTIONS: `--import ${distFile('count-loaded.js')} --expose-gc`,
      };
      const child = await startChild({ name: shape.name, script: shape.script, args: shape.args ?? [], env, ready: shape.ready, timeoutMs: 60_000 });
      started.set(shape.name, child);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      process.kill(child.pid, 'SIGUSR2');
      const report = await waitForJson(out);
      results.push(summarize(shape.name, report));
      // The all-in-one process holds the public port and the embedded sandboxes: stop it before the split ones.
      if (shape.name.startsWith('all-in-one')) await child.stop();
    }
  } finally {
    for (const child of [...started.values()].reverse()) await child.stop();
    await db.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
  console.log('');
  console.log('| process | files loaded | ours | of which sandbox | entity files | dependencies | RSS MiB | heap MiB |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(`| ${r.process} | ${r.files} | ${r.ours} | ${r.sandboxFiles} | ${r.entityFiles} | ${r.dependencies} | ${r.rssMiB} | ${r.heapMiB} |`);
  }
  await fs.mkdir(path.join(repoRoot, 'bench-results'), { recursive: true });
  await fs.writeFile(path.join(repoRoot, 'bench-results', 'footprint.json'), JSON.stringify({ at: new Date().toISOString(), results }, null, 2));
}

function summarize(name: string, report: { files: string[]; rss: number; heapUsed: number }): Footprint {
  const ours = report.files.filter((f) => f.startsWith(distRoot + path.sep));
  return {
    process: name,
    files: report.files.length,
    ours: ours.length,
    sandboxFiles: ours.filter((f) => /sandbox/.test(path.basename(f))).length,
    entityFiles: ours.filter((f) => /\.entity\.js$/.test(f)).length,
    dependencies: report.files.filter((f) => f.includes(`${path.sep}node_modules${path.sep}`)).length,
    rssMiB: Math.round(report.rss / 1024 / 1024),
    heapMiB: Math.round(report.heapUsed / 1024 / 1024),
    topPackages: countBy(
      report.files.filter((f) => f.includes(`${path.sep}node_modules${path.sep}`)),
      (f) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f)![1]!,
    ).slice(0, 12),
    ourFolders: countBy(ours, (f) => path.dirname(path.relative(distRoot, f))),
  };
}

function countBy(items: string[], key: (item: string) => string): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1]);
}

async function waitForJson(file: string): Promise<{ files: string[]; rss: number; heapUsed: number }> {
  for (let i = 0; i < 100; i++) {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as { files: string[]; rss: number; heapUsed: number };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`no footprint report at ${file}`);
}

process.on('SIGINT', () => terminateAll());
main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
