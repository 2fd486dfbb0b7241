// Configuration for the MikroORM CLI (`npm run migration:create`, `migration:check`).
// The CLI loads the compiled copy (dist/mikro-orm.config.js), which has decorator metadata.
import { loadModules } from './src/modules/index.js';
import { ormConfig } from './src/platform/db/orm.js';

const port = process.env.EMBEDDED_PG_PORT ?? '54329';
export default ormConfig({
  databaseUrl: process.env.DATABASE_URL ?? `postgres://postgres:postgres@127.0.0.1:${port}/coalition`,
  entities: (await loadModules()).entities(),
});
