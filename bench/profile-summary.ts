// Where a process's CPU went, from a V8 `.cpuprofile` (`node --cpu-prof`, e.g. the bench's
// children with BENCH_CHILD_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"): self time summed
// by package (node_modules/<pkg>, our src/ files, node: internals, V8/GC) and by function, and
// the total time under each of the functions named with --under (inclusive).
// --last S keeps only the profile's last S seconds (the measured load, not the seeding before it).
//   npx node dist/bench/profile-summary.js <file.cpuprofile> [--top 40] [--under name,name] [--last 10]
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
if (!file) {
  console.error('usage: profile-summary <file.cpuprofile> [--top N] [--under fn1,fn2]');
  process.exit(2);
}
const option = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const top = Number(option('--top') ?? 40);
const under = (option('--under') ?? '').split(',').filter(Boolean);
const lastSeconds = option('--last') === undefined ? undefined : Number(option('--last'));

const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Self time per node: each sample's delta goes to the node it landed on.
const self = new Map<number, number>();
const from = lastSeconds === undefined ? -Infinity : profile.endTime - lastSeconds * 1e6;
for (let i = 0, at = profile.startTime; i < profile.samples.length; i++) {
  at += profile.timeDeltas[i] ?? 0;
  if (at < from) continue;
  const id = profile.samples[i]!;
  self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const idle = new Set(['(idle)', '(program)']);
let total = 0;
let busy = 0;
for (const [id, us] of self) {
  total += us;
  if (!idle.has(byId.get(id)!.callFrame.functionName)) busy += us;
}

function packageOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const dist = url.indexOf('/dist/');
  return dist >= 0 ? url.slice(dist + 6) : url;
}

const add = (map: Map<string, number>, key: string, us: number) => map.set(key, (map.get(key) ?? 0) + us);
const packages = new Map<string, number>();
const functions = new Map<string, number>();
for (const [id, us] of self) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  if (idle.has(functionName)) continue;
  const pkg = packageOf(url, functionName);
  add(packages, pkg, us);
  add(functions, `${functionName || '(anonymous)'}  ${pkg}:${lineNumber + 1}`, us);
}

const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
const print = (title: string, map: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [key, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${key}`);
};
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (percentages are of busy time)`);
print('self time by package', packages);
print('self time by function', functions);

// Inclusive time under named functions (each sample counted once per name, however deep the recursion).
if (under.length) {
  console.log('\ninclusive time under');
  for (const name of under) {
    let us = 0;
    for (const [id, t] of self) {
      if (idle.has(byId.get(id)!.callFrame.functionName)) continue;
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        if (byId.get(at)!.callFrame.functionName === name) {
          us += t;
          break;
        }
      }
    }
    console.log(`${pct(us)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}`);
  }
}
