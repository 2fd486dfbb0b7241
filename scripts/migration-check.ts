// npm run migration:check — fails when the entities differ from what migrations/ builds.
// Applies every migration to a scratch database, then asks MikroORM's migrator whether a
// new migration would be needed (the check behind `mikro-orm migration:check`).
import 'reflect-metadata';
import { withMigratedScratchDatabase } from './database.js';
import { loadModules } from '../src/modules/index.js';

const changes = await withMigratedScratchDatabase('migration_check', (await loadModules()).entities(), (_url, orm) => orm.migrator.checkSchema());

if (changes) {
  console.error('The entities differ from the migrations: run `npm run migration:create` and commit the new migration.');
  process.exit(1);
}
console.log('No changes required: migrations match the entities.');
