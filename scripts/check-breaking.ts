// npm run schema:breaking — fails when a commit changed the public API schema
// (schema/api.graphql) in a breaking way. Every commit that touched it is compared with its
// parent, so a breaking change cannot hide behind a later commit. A deliberate break is
// accepted only when its commit message carries "BREAKING-CHANGE-APPROVED: <reason>".
import { execFileSync } from 'node:child_process';
import { CriticalityLevel, diff } from '@graphql-inspector/core';
import { buildSchema } from 'graphql';

const FILE = 'schema/api.graphql';

function git(...args: string[]): string {
  return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

function fileAt(rev: string): string | null {
  try {
    return git('show', `${rev}:${FILE}`);
  } catch {
    return null;
  }
}

const commits = git('log', '--format=%H', '--', FILE).split('\n').filter(Boolean);
let failures = 0;
let compared = 0;
for (const commit of commits) {
  const after = fileAt(commit);
  const before = fileAt(`${commit}^`);
  if (!after || !before) continue;
  compared++;
  const changes = await diff(buildSchema(before), buildSchema(after));
  const breaking = changes.filter((c) => c.criticality.level === CriticalityLevel.Breaking);
  if (breaking.length === 0) continue;
  const message = git('log', '-1', '--format=%B', commit);
  const short = commit.slice(0, 8);
  if (/BREAKING-CHANGE-APPROVED:\s*\S/.test(message)) {
    console.log(`${short}: ${breaking.length} breaking change(s), approved in the commit message`);
    continue;
  }
  failures += breaking.length;
  console.error(`${short} breaks the public API (${FILE}):`);
  for (const change of breaking) console.error(`  - ${change.message}`);
}

// The working tree against HEAD, so a local run warns before committing.
const head = fileAt('HEAD');
const current = await import('node:fs').then((fs) => fs.readFileSync(FILE, 'utf8'));
if (head && head !== current) {
  const breaking = (await diff(buildSchema(head), buildSchema(current))).filter((c) => c.criticality.level === CriticalityLevel.Breaking);
  for (const change of breaking) console.error(`  uncommitted: ${change.message}`);
  failures += breaking.length;
}

if (failures > 0) {
  console.error(`${failures} breaking change(s). Clients and partners build on this schema: change it only additively.`);
  process.exit(1);
}
console.log(`No breaking change to the public API (${compared} schema change(s) checked across history).`);
