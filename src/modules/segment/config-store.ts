import type { EntityManager } from '@mikro-orm/postgresql';
import { parseSegmentConfig, type SegmentConfig, type SegmentConfigInput } from './segment-config.js';

/** The configuration in force and its version. */
export interface SegmentConfigSnapshot {
  version: number;
  config: SegmentConfig;
}

/**
 * Installs a first configuration into a database that has none, in the caller's transaction
 * (validated first); false when one is there already (two processes starting at once: the first
 * insert wins).
 */
export async function installSegmentConfig(tx: EntityManager, input: SegmentConfigInput): Promise<boolean> {
  const config = parseSegmentConfig(input);
  const inserted = await tx.execute<{ version: number }[]>(
    `insert into segment_config (version, document) select 1, ? where not exists (select 1 from segment_config) on conflict (version) do nothing returning version`,
    [JSON.stringify(config)],
  );
  return inserted.length > 0;
}

/**
 * Adds a version of the configuration (validated first): the next computation of every clock
 * uses it. Versions are never edited; members of segments it no longer defines leave them then.
 */
export async function addSegmentConfigVersion(tx: EntityManager, input: SegmentConfigInput): Promise<number> {
  const config = parseSegmentConfig(input);
  const [row] = await tx.execute<{ version: number }[]>(
    `insert into segment_config (version, document) select coalesce(max(version), 0) + 1, ? from segment_config returning version`,
    [JSON.stringify(config)],
  );
  return row!.version;
}

let cached: SegmentConfigSnapshot | undefined;

/** The configuration in force (the newest version), through a per-process cache one query per use keeps honest; null when none is installed. */
export async function loadSegmentConfig(em: EntityManager): Promise<SegmentConfigSnapshot | null> {
  const [head] = await em.execute<{ version: number }[]>(`select max(version) as version from segment_config`);
  if (!head?.version) return null;
  if (cached?.version === head.version) return cached;
  const [row] = await em.execute<{ version: number; document: unknown }[]>(`select version, document from segment_config where version = ?`, [head.version]);
  cached = { version: row!.version, config: parseSegmentConfig(row!.document) };
  return cached;
}
