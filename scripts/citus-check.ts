// npm run -s check:citus — fails when the schema would not distribute on Citus by member id.
// Applies every migration to a scratch database (as migration:check does), reads pg_catalog and
// applies the rules of scripts/citus-rules.ts with the classification of scripts/citus-shape.ts.
// Prints each violation (table, constraint, rule); exits 1 on a violation not in the known list
// or on a known one that no longer occurs. docs/citus.md explains the shape.
import 'reflect-metadata';
import pg from 'pg';
import { withMigratedScratchDatabase } from './database.js';
import { compareWithKnown, findCitusViolations } from './citus-rules.js';
import { citusTables, knownCitusViolations } from './citus-shape.js';

const found = await withMigratedScratchDatabase('citus_check', [], async (scratchUrl) => {
  const client = new pg.Client({ connectionString: scratchUrl });
  await client.connect();
  try {
    return await findCitusViolations(client, { tables: citusTables });
  } finally {
    await client.end();
  }
});

const kinds = Object.values(citusTables);
const count = (kind: string) => kinds.filter((shape) => shape.kind === kind).length;
console.log(`${kinds.length} tables classified: ${count('distributed')} distributed by member, ${count('reference')} reference, ${count('local')} local`);

const { unexpected, fixed, remaining } = compareWithKnown(found, knownCitusViolations);
if (remaining.length > 0) {
  console.log(`\n${remaining.length} known violation(s), listed in scripts/citus-shape.ts with what fixing each takes:`);
  for (const line of remaining) console.log(`  known  ${line}`);
}
if (unexpected.length > 0) {
  console.error(`\n${unexpected.length} violation(s) not in the known list (fix them; docs/citus.md says how):`);
  for (const line of unexpected) console.error(`  NEW    ${line}`);
}
if (fixed.length > 0) {
  console.error(`\n${fixed.length} known violation(s) no longer occur: remove them from knownCitusViolations in scripts/citus-shape.ts:`);
  for (const line of fixed) console.error(`  FIXED  ${line}`);
}
if (unexpected.length > 0 || fixed.length > 0) process.exit(1);
console.log(`\nThe schema keeps the Citus shape (${remaining.length} known violation(s) left).`);
