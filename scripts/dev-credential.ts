// npm run -s dev:credential -- <member|admin|partner> <id>
// Prints one line: a usable bearer credential for local development. Refuses in production.
import 'reflect-metadata';
import path from 'node:path';
import { DevIssuer } from '../src/modules/auth/index.js';
import { connectOrm } from '../src/platform/db/orm.js';
import { PartnerKeyService } from '../src/modules/partner/index.js';
import { loadConfig } from '../src/platform/config.js';
import { withDatabase } from './database.js';
import { loadModules } from '../src/modules/index.js';

const USAGE = 'usage: npm run -s dev:credential -- <member|admin|partner> <id>';

async function main(): Promise<string> {
  if (process.env.NODE_ENV === 'production') throw new Error('dev:credential refuses to run when NODE_ENV=production');
  const [role, id] = process.argv.slice(2);
  if (!role || !id || !['member', 'admin', 'partner'].includes(role)) throw new Error(USAGE);
  const config = loadConfig();
  if (role === 'partner') {
    return withDatabase(async (databaseUrl) => {
      const orm = await connectOrm({ databaseUrl, entities: (await loadModules()).entities(), poolSize: 1 });
      try {
        return (await new PartnerKeyService(orm.em.fork()).create(id)).key;
      } finally {
        await orm.close();
      }
    }, { migrateAndSeed: true });
  }
  const issuer = await DevIssuer.open({
    dir: path.join(config.dataDir, 'dev-issuer'),
    audience: config.auth.audience,
    roleClaim: config.auth.roleClaim,
    adminRole: config.auth.adminRole,
    nodeEnv: config.nodeEnv,
  });
  return issuer.mint(id, { admin: role === 'admin' });
}

main().then(
  (credential) => {
    process.stdout.write(`${credential}\n`);
    process.exit(0);
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
