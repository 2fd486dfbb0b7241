import type { EventSubscriber } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * The catalog's version: one row, moved on by every statement that changes a catalog table
 * (partners, benefits, plans: their entities declare the trigger, {@link CATALOG_VERSION_TRIGGER}),
 * in that statement's transaction. What a process keeps of the catalog is good while this
 * number has not moved: a request reads it once, and nothing older than what it read is ever served.
 */
@Entity({ tableName: 'catalog_version' })
export class CatalogVersion {
  @PrimaryKey({ type: 'integer', autoincrement: false })
  id!: number;

  @Property({ type: 'bigint', defaultRaw: '1' })
  version!: string;
}

/** The trigger every catalog table declares: one bump per changing statement (after it, so a failed statement bumps nothing). */
export const CATALOG_VERSION_TRIGGER = {
  name: 'catalog_version_bump',
  timing: 'after' as const,
  events: ['insert' as const, 'update' as const, 'delete' as const],
  forEach: 'statement' as const,
  body: `update catalog_version set version = version + 1 where id = 1; return null;`,
};

// Commits and flushes of this process so far: a request that wrote (a catalog change, say)
// reads the version again, so it never answers from what it read before its own change.
let writes = 0;

/** Counts this process's commits and flushes (registered with the ORM, src/platform/db/orm.ts). */
export const catalogWriteCounter: EventSubscriber = {
  afterTransactionCommit: () => void writes++,
  afterFlush: () => void writes++,
};

// One read per request (its EntityManager fork is the request's) until this process writes.
const versionOfRequest = new WeakMap<EntityManager, { writes: number; version: Promise<string> }>();

/** The catalog version as this request read it: one tiny statement, remembered until this process commits anything. */
export function catalogVersionOf(em: EntityManager): Promise<string> {
  const known = versionOfRequest.get(em);
  if (known && known.writes === writes) return known.version;
  const version = em
    .execute<{ version: string }[]>(`select version::text as version from catalog_version where id = 1`)
    .then((rows) => rows[0]?.version ?? 'missing');
  // A failed read is not remembered: the next loader of the request asks again.
  version.catch(() => versionOfRequest.delete(em));
  versionOfRequest.set(em, { writes, version });
  return version;
}

/**
 * Catalog rows by key, kept for the whole process across requests while the catalog version
 * has not moved: a request asks with the version it read, which empties the cache when it
 * moved. Rows are fetched on a fork of their own (never attached to a request's unit of work),
 * and a fetch that began under an older version is not kept.
 */
export class CatalogCache<K, V> {
  private version: string | undefined;
  private readonly rows = new Map<K, V>();

  constructor(
    private readonly fetch: (em: EntityManager, keys: readonly K[]) => Promise<V[]>,
    private readonly keyOf: (row: V) => K,
  ) {}

  /** The rows for `keys` (undefined for a key nothing answers), from memory when the version has not moved. */
  async load(em: EntityManager, keys: readonly K[]): Promise<Array<V | undefined>> {
    const version = await catalogVersionOf(em);
    if (version !== this.version) {
      this.rows.clear();
      this.version = version;
    }
    const missing = keys.filter((k) => !this.rows.has(k));
    if (missing.length) {
      const fetched = await this.fetch(em.fork({ clear: true }), missing);
      // Kept only if no newer version emptied the cache meanwhile (what this fetch read may be older than it).
      if (this.version === version) for (const row of fetched) this.rows.set(this.keyOf(row), row);
      const byKey = new Map(fetched.map((row) => [this.keyOf(row), row]));
      return keys.map((k) => this.rows.get(k) ?? byKey.get(k));
    }
    return keys.map((k) => this.rows.get(k));
  }
}
