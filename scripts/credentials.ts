// Development credentials as `npm run -s dev:credential` and `npm run demo` make them: a JWT
// from the dev issuer kept under DATA_DIR, or a fresh partner API key written to the database
// the server uses (DATABASE_URL, or the embedded one). Plain `pg`, no ORM: it answers fast.
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AuditContext } from '../src/modules/audit/index.js';
import { DEV_ISSUER, DevIssuer } from '../src/modules/auth/index.js';
import { staffRoleValues, type AppConfig } from '../src/platform/config.js';
import { STAFF_ROLE_NAMES, STAFF_ROLES, type StaffRole } from '../src/platform/principal.js';
import { withDatabase } from './database.js';

export const CREDENTIAL_ROLES = ['member', 'admin', 'pm', 'support', 'finance', 'analyst', 'partner'] as const;
export type CredentialRole = (typeof CREDENTIAL_ROLES)[number];

/** The staff role a credential role names (`pm` → PRODUCT_MANAGER); undefined for member and partner. */
function staffRoleNamed(role: CredentialRole): StaffRole | undefined {
  return STAFF_ROLES.find((staff) => STAFF_ROLE_NAMES[staff] === role);
}

/** A usable bearer credential and where it comes from. */
export interface DevCredential {
  /** Send as `Authorization: Bearer <credential>`. */
  credential: string;
  /** One line for the user: which dev issuer signed it, or which database the key was written to. */
  origin: string;
}

/**
 * A member or staff (admin, pm, support, finance, analyst) JWT for subject `id` from the dev
 * issuer under `config.dataDir`, carrying the role's configured claim value (`AUTH_PM_ROLE`, …),
 * or a fresh API key for the seeded partner `id`. Refuses under NODE_ENV=production.
 */
export async function devCredential(config: AppConfig, role: CredentialRole, id: string): Promise<DevCredential> {
  if (config.nodeEnv === 'production') throw new Error('dev:credential refuses to run when NODE_ENV=production');
  return role === 'partner' ? createPartnerKey(config, id) : mintDevJwt(config, id, role);
}

async function mintDevJwt(config: AppConfig, subject: string, role: Exclude<CredentialRole, 'partner'>): Promise<DevCredential> {
  const dir = path.join(config.dataDir, 'dev-issuer');
  const existed = existsSync(dir);
  const issuer = await DevIssuer.open({
    dir,
    audience: config.auth.audience,
    roleClaim: config.auth.roleClaim,
    adminRole: config.auth.adminRole,
    staffRoles: staffRoleValues(config.auth),
    nodeEnv: config.nodeEnv,
  });
  const staffRole = staffRoleNamed(role);
  const credential = await issuer.mint(subject, { staffRoles: staffRole ? [staffRole] : [] });
  const signer = existed
    ? `the dev issuer in ${dir}`
    : `a NEW dev issuer just created in ${dir} (a server started with another DATA_DIR refuses it)`;
  return { credential, origin: `${role} JWT for "${subject}" signed by ${signer} (iss ${DEV_ISSUER}, aud ${config.auth.audience})` };
}

/** Commands act as the OS user who ran them in the audit log. */
const OPERATOR: AuditContext = { actor: `operator:${os.userInfo().username}`, requestId: null };

async function createPartnerKey(config: AppConfig, partnerId: string): Promise<DevCredential> {
  return withDatabase(
    async (databaseUrl, target) => {
      // Loaded here, not above: a member or staff JWT needs none of it.
      const [{ default: Pg }, { openAuditLog }, { insertPartnerApiKey }, { pgTransaction }] = await Promise.all([
        import('pg'),
        import('../src/modules/audit/index.js'),
        import('../src/modules/partner/index.js'),
        import('../src/platform/sql.js'),
      ]);
      await openAuditLog(config); // the key's audit row is HMAC-ed under the server's audit key
      const client = new Pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        await client.query('begin');
        const { rows: partners } = await client.query<{ id: string }>('select id from partner order by id').catch((error: { code?: string }) => {
          if (error.code !== '42P01') throw error; // undefined_table
          throw new Error(`${target.description} has no partner table: start the server once (npm start) so it migrates and seeds it`);
        });
        if (!partners.some((p) => p.id === partnerId)) {
          throw new Error(`Partner "${partnerId}" not found in ${target.description}; partners there: ${partners.map((p) => p.id).join(', ') || 'none'}`);
        }
        const { key, prefix } = await insertPartnerApiKey(pgTransaction(client), partnerId, OPERATOR);
        await client.query('commit');
        return { credential: key, origin: `partner API key ${prefix}… for "${partnerId}" written to ${target.description}` };
      } catch (error) {
        await client.query('rollback').catch(() => {});
        throw error;
      } finally {
        await client.end();
      }
    },
    { migrateAndSeed: true, config },
  );
}
