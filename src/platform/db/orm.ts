import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { Migrator } from '@mikro-orm/migrations';
import { defineConfig, MikroORM, type Options } from '@mikro-orm/postgresql';
import type { EntityClass } from '../module.js';
import { catalogWriteCounter } from '../catalog-cache.js';
import { StatementCountingLogger } from './sql-statements.js';

// Works from src/platform/db (vitest) and dist/src/platform/db (compiled) alike.
const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = here.includes(`${path.sep}dist${path.sep}`)
  ? path.resolve(here, '../../../..')
  : path.resolve(here, '../../..');

export interface OrmOptions {
  /** PostgreSQL connection string. */
  databaseUrl: string;
  /**
   * The entities to map (the module list's, `(await loadModules()).entities()`); none for a
   * process that only runs SQL of its own (the gateway, migrations, scripts).
   */
  entities: readonly EntityClass[];
  /** Connection pool size. @default 10 */
  poolSize?: number;
  /** Called with every SQL statement (tests count them). */
  onQuery?: (sql: string) => void;
}

/** The MikroORM configuration shared by the server, the CLI and the tests. */
export function ormConfig(options: OrmOptions): Options {
  return defineConfig({
    clientUrl: options.databaseUrl,
    entities: [...options.entities] as never[],
    discovery: { warnWhenNoEntities: false },
    metadataProvider: ReflectMetadataProvider,
    // What a process keeps of the catalog is re-checked after it writes (src/platform/catalog-cache.ts).
    subscribers: [catalogWriteCounter],
    extensions: [Migrator],
    pool: { min: 0, max: options.poolSize ?? 10 },
    migrations: {
      tableName: 'mikro_orm_migrations',
      path: path.join(repoRoot, 'dist', 'migrations'),
      pathTs: path.join(repoRoot, 'migrations'),
      glob: '!(*.d).{js,ts}',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      emit: 'ts',
      silent: true,
    },
    forceUtcTimezone: true,
    // Each request and job forks its own EntityManager; the global one is never used.
    allowGlobalContext: false,
    // With their parameters inlined: tests can EXPLAIN what was sent (test/hot-query-plans.pg.test.ts).
    debug: options.onQuery ? ['query', 'query-params'] : false,
    // Counts every statement sent (sqlStatementsSent, `db_statements_total` in the metrics).
    loggerFactory: StatementCountingLogger.create,
    ...(options.onQuery
      ? {
          logger: (message: string) => options.onQuery?.(message),
        }
      : {}),
  });
}

/** Connects to PostgreSQL; does not touch the schema. */
export async function connectOrm(options: OrmOptions): Promise<MikroORM> {
  return MikroORM.init(ormConfig(options));
}

/** Applies pending migrations; returns the names applied. */
export async function migrateUp(orm: MikroORM): Promise<string[]> {
  const applied = await orm.migrator.up();
  return applied.map((m) => m.name);
}

/** True when every migration on disk has been applied. */
export async function migrationsApplied(orm: MikroORM): Promise<boolean> {
  const pending = await orm.migrator.getPending();
  return pending.length === 0;
}

/** Ready when the database answers and every migration is applied. */
export async function databaseReadiness(orm: MikroORM): Promise<string[]> {
  try {
    await orm.em.fork().execute('select 1');
    return (await migrationsApplied(orm)) ? [] : ['database migrations pending'];
  } catch {
    return ['database unreachable'];
  }
}
