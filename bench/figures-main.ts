// `npm run bench:figures`: the program figures over BENCH_FIGURES_MEMBERS generated members
// (1,000,000) on a scratch database of DATABASE_URL's server (else an embedded PostgreSQL), dropped
// afterwards. BENCH_FIGURES_DATABASE_URL measures an existing database instead (generating the
// history only when it holds fewer members), and leaves it in place.
import 'reflect-metadata';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { figuresSettings, measureFigures, printFigures, TARGET_MS } from './figures.js';
import { createBenchDatabase } from './setup.js';

const log = (line: string) => console.log(line);
const reuse = process.env.BENCH_FIGURES_DATABASE_URL;
const db = reuse ? { url: reuse, source: 'BENCH_FIGURES_DATABASE_URL (kept)', close: async () => {} } : await createBenchDatabase(log);
let code = 1;
try {
  log(`database: ${db.source}`);
  const result = await measureFigures(db.url, figuresSettings(), log);
  log('');
  printFigures(result, log);
  const outFile = fileURLToPath(new URL('../../bench-results/figures.json', import.meta.url));
  await fs.mkdir(path.dirname(outFile), { recursive: true });
  await fs.writeFile(outFile, JSON.stringify({ at: new Date().toISOString(), ...result }, null, 2) + '\n');
  log(`results: ${path.relative(process.cwd(), outFile)}`);
  code = result.dashboards.every((d) => d.medianMs < TARGET_MS) ? 0 : 1;
} finally {
  await db.close();
}
process.exit(code);
