import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, type DocumentNode } from 'graphql';

/**
 * Parses the SDL file next to a partner module, e.g.
 * `loadPartnerTypeDefs(import.meta.url)` for `./schema.graphql`.
 *
 * `tsc` does not copy `.graphql` files into `dist/`, so when the module runs compiled
 * from `dist/partners/<id>/` the file is read from the source tree it was compiled from.
 *
 * @throws Error naming both places looked at, when the file is in neither.
 */
export function loadPartnerTypeDefs(moduleUrl: string, fileName = 'schema.graphql'): DocumentNode {
  const moduleDir = path.dirname(fileURLToPath(moduleUrl));
  const candidates = [path.join(moduleDir, fileName)];
  const distSegment = `${path.sep}dist${path.sep}`;
  const distAt = moduleDir.lastIndexOf(distSegment);
  if (distAt >= 0) {
    const sourceDir = moduleDir.slice(0, distAt) + path.sep + moduleDir.slice(distAt + distSegment.length);
    candidates.push(path.join(sourceDir, fileName));
  }
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) {
    throw new Error(`Partner SDL not found: looked for ${candidates.join(' and ')}`);
  }
  return parse(readFileSync(found, 'utf8'));
}
