// Writes a migration for the difference between the entities and the database schema.
// Uses the database of DATABASE_URL, or starts the embedded one.
import 'reflect-metadata';
import { connectOrm, migrateUp } from '../src/platform/db/orm.js';
import { withDatabase } from './database.js';
import { loadModules } from '../src/modules/index.js';

await withDatabase(async (databaseUrl) => {
  const orm = await connectOrm({ databaseUrl, entities: (await loadModules()).entities() });
  try {
    await migrateUp(orm);
    const initial = process.argv.includes('--initial');
    const result = await orm.migrator.create(undefined, false, initial);
    console.log(result.fileName ? `created migrations/${result.fileName}` : 'no changes: entities and migrations agree');
  } finally {
    await orm.close();
  }
});
