// The built-in partners: with the *-main.ts entry points, the only place in src/ that names
// concrete partners (the CI boundary check keeps it so). Each is one adapter folder under
// partners/ built on the partner SDK, and one subgraph of the supergraph named by its id.
import { brewbar } from '../partners/brewbar/index.js';
import type { PartnerAdapter, PartnerSandbox } from '../partners/sdk/index.js';
import { skymiles } from '../partners/skymiles/index.js';
import { sparkwash } from '../partners/sparkwash/index.js';
import { streamflix } from '../partners/streamflix/index.js';

/** Every built-in partner adapter, in supergraph order. */
export const BUILT_IN_PARTNERS: readonly PartnerAdapter[] = [sparkwash, streamflix, skymiles, brewbar] as PartnerAdapter[];

/**
 * The partners' sandboxes (real HTTP servers on loopback playing their APIs), for development
 * and tests only: loaded on demand, so production never loads a sandbox file.
 */
export async function loadSandboxes(): Promise<ReadonlyMap<string, PartnerSandbox>> {
  const { DEV_SANDBOXES } = await import('./dev-sandboxes.js');
  return new Map(DEV_SANDBOXES.map((sandbox) => [sandbox.id, sandbox]));
}
