import path from 'node:path';
import { loadConfig, type AppConfig } from '../src/platform/config.js';

// The ORM and the embedded server are imported only when a command needs them: a command
// talking to a running server's database stays fast (dev:credential answers in well under a
// second).

/** The database a command works on, and how to name it to its user (never with a password). */
export interface DatabaseTarget {
  url: string;
  /** E.g. `DATABASE_URL postgres://postgres@127.0.0.1:5432/coalition`. */
  description: string;
}

export interface WithDatabaseOptions {
  /** Apply migrations and seed the demo catalog when the command starts the embedded server itself. */
  migrateAndSeed?: boolean;
  /** The configuration to follow. @default loadConfig() */
  config?: AppConfig;
}

/**
 * Runs `work` against DATABASE_URL, or against the embedded PostgreSQL (started for the
 * duration when the server is not already running it), as the server would find it.
 */
export async function withDatabase<T>(
  work: (databaseUrl: string, target: DatabaseTarget) => Promise<T>,
  options: WithDatabaseOptions = {},
): Promise<T> {
  const config = options.config ?? loadConfig();
  if (config.databaseUrl) {
    return work(config.databaseUrl, { url: config.databaseUrl, description: `DATABASE_URL ${withoutPassword(config.databaseUrl)}` });
  }
  const url = `postgres://postgres:postgres@127.0.0.1:${config.embeddedPgPort}/coalition`;
  const { default: pg } = await import('pg');
  const probe = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  const running = await probe.connect().then(() => true, () => false);
  await probe.end().catch(() => {});
  if (running) {
    return work(url, { url, description: `the embedded PostgreSQL running on ${withoutPassword(url)} (EMBEDDED_PG_PORT)` });
  }
  const dataDir = path.join(config.dataDir, 'pg');
  const { startEmbeddedPostgres } = await import('../src/platform/db/embedded-postgres.js');
  const db = await startEmbeddedPostgres({ dataDir, port: config.embeddedPgPort });
  try {
    // The server seeds the catalog; a partner key needs its partner, so migrate and seed here too.
    if (options.migrateAndSeed) await prepare(db.url);
    return await work(db.url, { url: db.url, description: `the embedded PostgreSQL in ${dataDir} (started for this command, stopped again)` });
  } finally {
    await db.stop();
  }
}

/** The URL with its password left out, fit to print. */
export function withoutPassword(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.password = '';
  return url.toString();
}

async function prepare(databaseUrl: string): Promise<void> {
  await import('reflect-metadata');
  const { connectOrm, migrateUp } = await import('../src/platform/db/orm.js');
  const { loadModules } = await import('../src/modules/index.js');
  const { seedDemoCatalog } = await import('../src/seed/demo-catalog.js');
  const orm = await connectOrm({ databaseUrl, entities: (await loadModules()).entities(), poolSize: 1 });
  try {
    await migrateUp(orm);
    await seedDemoCatalog(orm.em.fork());
  } finally {
    await orm.close();
  }
}

/**
 * Runs `work` on a scratch database (`<prefix>_<random>`) created on the command's server and
 * migrated to the latest schema, with an ORM mapping `entities`; the database is dropped after.
 */
export async function withMigratedScratchDatabase<T>(
  prefix: string,
  entities: Parameters<typeof import('../src/platform/db/orm.js').connectOrm>[0]['entities'],
  work: (scratchUrl: string, orm: import('@mikro-orm/postgresql').MikroORM) => Promise<T>,
): Promise<T> {
  const [{ randomBytes }, { default: pg }, { connectOrm, migrateUp }] = await Promise.all([
    import('node:crypto'),
    import('pg'),
    import('../src/platform/db/orm.js'),
  ]);
  return withDatabase(async (databaseUrl) => {
    const name = `${prefix}_${randomBytes(4).toString('hex')}`;
    const adminUrl = new URL(databaseUrl);
    adminUrl.pathname = '/postgres';
    const admin = new pg.Client({ connectionString: adminUrl.toString() });
    await admin.connect();
    await admin.query(`create database ${name}`);
    try {
      const scratch = new URL(databaseUrl);
      scratch.pathname = `/${name}`;
      const orm = await connectOrm({ databaseUrl: scratch.toString(), entities, poolSize: 1 });
      try {
        const applied = await migrateUp(orm);
        console.log(`applied ${applied.length} migration(s) to a scratch database`);
        return await work(scratch.toString(), orm);
      } finally {
        await orm.close();
      }
    } finally {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });
}
