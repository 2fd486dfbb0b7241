// npm run migration:check — fails when the entities differ from what migrations/ builds.
// Applies every migration to a scratch database, then asks MikroORM's migrator whether a
// new migration would be needed (the check behind `mikro-orm migration:check`).
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { connectOrm, migrateUp } from '../src/platform/db/orm.js';
import { withDatabase } from './database.js';
import { loadModules } from '../src/modules/index.js';

const changes = await withDatabase(async (databaseUrl) => {
  const name = `migration_check_${randomBytes(4).toString('hex')}`;
  const adminUrl = new URL(databaseUrl);
  adminUrl.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  await admin.query(`create database ${name}`);
  try {
    const scratch = new URL(databaseUrl);
    scratch.pathname = `/${name}`;
    const orm = await connectOrm({ databaseUrl: scratch.toString(), entities: (await loadModules()).entities(), poolSize: 1 });
    try {
      const applied = await migrateUp(orm);
      console.log(`applied ${applied.length} migration(s) to a scratch database`);
      return await orm.migrator.checkSchema();
    } finally {
      await orm.close();
    }
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
});

if (changes) {
  console.error('The entities differ from the migrations: run `npm run migration:create` and commit the new migration.');
  process.exit(1);
}
console.log('No changes required: migrations match the entities.');
