import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Kind, parse, print, visit, type DefinitionNode, type DocumentNode, type FragmentDefinitionNode } from 'graphql';

/** sha256 (hex) of an operation document as `print` normalizes it: its persisted id. */
export function operationHash(document: string): string {
  return createHash('sha256').update(print(parse(document))).digest('hex');
}

/**
 * The operations production clients may send (safelist mode): a JSON map from the
 * operation's sha256 to its document, built by `npm run -s operations:manifest` from
 * operations/*.graphql. Clients send `extensions.persistedQuery.sha256Hash`.
 */
export async function loadPersistedOperations(file: string): Promise<Map<string, string>> {
  const parsed = JSON.parse(await fs.readFile(path.resolve(file), 'utf8')) as unknown;
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`PERSISTED_OPERATIONS_FILE ${file} must be a JSON object of sha256 → document`);
  }
  const operations = new Map<string, string>();
  for (const [hash, document] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof document !== 'string' || operationHash(document) !== hash) {
      throw new Error(`PERSISTED_OPERATIONS_FILE ${file}: entry ${hash} is not the sha256 of its document`);
    }
    operations.set(hash, document);
  }
  return operations;
}

/**
 * The operations of a document (operations/*.graphql) by name, each printed as a client sends
 * it: the operation and the fragments it spreads, transitively, in the order first met.
 */
export function operationTexts(document: DocumentNode): Map<string, string> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const texts = new Map<string, string>();
  for (const operation of document.definitions) {
    if (operation.kind !== Kind.OPERATION_DEFINITION) continue;
    const used = new Map<string, FragmentDefinitionNode>();
    const walk = (node: DefinitionNode) =>
      visit(node, {
        FragmentSpread(spread) {
          const fragment = fragments.get(spread.name.value);
          if (!fragment || used.has(fragment.name.value)) return;
          used.set(fragment.name.value, fragment);
          walk(fragment);
        },
      });
    walk(operation);
    texts.set(operation.name?.value ?? '', print({ kind: Kind.DOCUMENT, definitions: [operation, ...used.values()] }));
  }
  return texts;
}
