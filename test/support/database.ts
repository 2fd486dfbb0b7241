import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { connectOrm, migrateUp } from '../../src/platform/db/orm.js';
import type { MikroORM } from '@mikro-orm/postgresql';

export interface TestDatabase {
  url: string;
  /** Runs a query on its own connection (assertions on raw rows). */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
  drop(): Promise<void>;
}

/** Creates a fresh database with every migration applied; `drop()` removes it. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('pgAdminUrl');
  const name = `test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${pg.escapeIdentifier(name)}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const dbUrl = url.toString();

  const orm: MikroORM = await connectOrm({ databaseUrl: dbUrl, entities: [], poolSize: 2 });
  await migrateUp(orm);
  await orm.close();

  const pool = new pg.Pool({ connectionString: dbUrl, max: 2 });
  // Dropping the database terminates connections still closing; that is expected here.
  pool.on('error', () => {});
  return {
    url: dbUrl,
    query: async (sql, params) => (await pool.query(sql, params as unknown[])).rows,
    drop: async () => {
      await pool.end();
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
      await client.end();
    },
  };
}
