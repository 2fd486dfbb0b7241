// npm run -s operations:manifest — writes operations/manifest.json: every operation of
// operations/*.graphql by its sha256, the safelist a production gateway can enforce
// (PERSISTED_OPERATIONS_FILE + PERSISTED_OPERATIONS_ONLY=true). An operation's text carries
// the fragments it spreads (those of its own file), as a client sends it.
import fs from 'node:fs/promises';
import path from 'node:path';
import { Kind, parse, print, visit, type DefinitionNode, type FragmentDefinitionNode } from 'graphql';
import { operationHash } from '../src/edge/persisted-operations.js';

const dir = path.resolve('operations');
const manifest: Record<string, string> = {};
for (const file of (await fs.readdir(dir)).filter((f) => f.endsWith('.graphql')).sort()) {
  const document = parse(await fs.readFile(path.join(dir, file), 'utf8'));
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    const text = print({ kind: Kind.DOCUMENT, definitions: [definition, ...spreadFragments(definition, fragments)] });
    manifest[operationHash(text)] = text;
  }
}
await fs.writeFile(path.join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`operations/manifest.json: ${Object.keys(manifest).length} operations`);

/** The fragments a definition spreads, transitively, in the order first met. */
function spreadFragments(definition: DefinitionNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>): FragmentDefinitionNode[] {
  const found = new Map<string, FragmentDefinitionNode>();
  const walk = (node: DefinitionNode) =>
    visit(node, {
      FragmentSpread(spread) {
        const fragment = fragments.get(spread.name.value);
        if (!fragment || found.has(fragment.name.value)) return;
        found.set(fragment.name.value, fragment);
        walk(fragment);
      },
    });
  walk(definition);
  return [...found.values()];
}
