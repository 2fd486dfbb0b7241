// node scripts/run-built.ts scripts/<name>.ts [args…]
// Runs a script's compiled JavaScript from dist/, compiling the project first only when dist/
// lacks it or a source is newer: a command answers without a tsc run per call. Node 24 runs
// this file as it is (type stripping), since it must not need the build it decides on.
// Compiler output goes to stderr, so the script's stdout stays its own.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = path.resolve(import.meta.dirname, '..');
/** What tsc compiles into dist/ that a script may load (tests and benchmarks aside). */
const SOURCES = ['src', 'scripts', 'partners', 'migrations', 'tsconfig.json'];
const SKIPPED_DIRS = new Set(['node_modules', 'dist']);

/** Newest modification time (ms) of the TypeScript sources under `entry` (a file or a folder). */
function newestSourceMtime(entry: string): number {
  const stat = statSync(entry, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const child of readdirSync(entry, { withFileTypes: true })) {
    if (child.isDirectory() ? SKIPPED_DIRS.has(child.name) : !child.name.endsWith('.ts')) continue;
    newest = Math.max(newest, newestSourceMtime(path.join(entry, child.name)));
  }
  return newest;
}

/** Why `compiled` must be built first, or null when it is up to date. */
function staleness(compiled: string, root = ROOT): string | null {
  const built = statSync(compiled, { throwIfNoEntry: false });
  if (!built) return `${path.relative(root, compiled)} is missing`;
  const newest = Math.max(...SOURCES.map((source) => newestSourceMtime(path.join(root, source))));
  return newest > built.mtimeMs ? `sources changed since ${path.relative(root, compiled)} was built` : null;
}

const [script, ...args] = process.argv.slice(2);
if (!script?.endsWith('.ts')) {
  process.stderr.write('usage: node scripts/run-built.ts scripts/<name>.ts [args…]\n');
  process.exit(2);
}
const compiled = path.join(ROOT, 'dist', script.replace(/\.ts$/, '.js'));
const why = staleness(compiled);
if (why) {
  process.stderr.write(`Compiling first (${why})…\n`);
  const tsc = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', path.join(ROOT, 'tsconfig.json')], { stdio: ['ignore', 2, 2] });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
}
process.argv = [process.argv[0]!, compiled, ...args];
await import(pathToFileURL(compiled).href);
