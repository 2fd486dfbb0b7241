import { loadConfig } from '../src/platform/config.js';
import { startEmbeddedPostgres } from '../src/platform/db/embedded-postgres.js';
import path from 'node:path';
import { connectOrm, migrateUp } from '../src/platform/db/orm.js';
import { seedDemoCatalog } from '../src/seed/demo-catalog.js';
import { loadModules } from '../src/modules/index.js';

/**
 * Runs `work` against DATABASE_URL, or against the embedded PostgreSQL (started for the
 * duration when the server is not already running it).
 */
export async function withDatabase<T>(
  work: (databaseUrl: string) => Promise<T>,
  options: { migrateAndSeed?: boolean } = {},
): Promise<T> {
  const config = loadConfig();
  if (config.databaseUrl) return work(config.databaseUrl);
  const url = `postgres://postgres:postgres@127.0.0.1:${config.embeddedPgPort}/coalition`;
  const { default: pg } = await import('pg');
  const probe = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  const running = await probe.connect().then(() => true, () => false);
  await probe.end().catch(() => {});
  if (running) return work(url);
  const db = await startEmbeddedPostgres({ dataDir: path.join(config.dataDir, 'pg'), port: config.embeddedPgPort });
  // The server seeds the catalog; a partner key needs its partner, so migrate and seed here too.
  if (options.migrateAndSeed) await prepare(db.url);
  try {
    return await work(db.url);
  } finally {
    await db.stop();
  }
}

async function prepare(databaseUrl: string): Promise<void> {
  const orm = await connectOrm({ databaseUrl, entities: (await loadModules()).entities(), poolSize: 1 });
  try {
    await migrateUp(orm);
    await seedDemoCatalog(orm.em.fork());
  } finally {
    await orm.close();
  }
}
