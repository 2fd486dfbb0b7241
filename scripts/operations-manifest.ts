// npm run -s operations:manifest — writes operations/manifest.json: every operation of
// operations/*.graphql by its sha256, the safelist a production gateway can enforce
// (PERSISTED_OPERATIONS_FILE + PERSISTED_OPERATIONS_ONLY=true). An operation's text carries
// the fragments it spreads (those of its own file), as a client sends it.
import fs from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'graphql';
import { operationHash, operationTexts } from '../src/edge/persisted-operations.js';

const dir = path.resolve('operations');
const manifest: Record<string, string> = {};
for (const file of (await fs.readdir(dir)).filter((f) => f.endsWith('.graphql')).sort()) {
  for (const text of operationTexts(parse(await fs.readFile(path.join(dir, file), 'utf8'))).values()) manifest[operationHash(text)] = text;
}
await fs.writeFile(path.join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`operations/manifest.json: ${Object.keys(manifest).length} operations`);
