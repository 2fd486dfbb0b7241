// npm run -s dev:credential -- <member|admin|pm|support|finance|analyst|partner> <id>
// Prints one line on stdout, a usable bearer credential for local development, and on stderr
// where it comes from (which dev issuer signed it, which database the key was written to).
// Reads the server's configuration (DATA_DIR, DATABASE_URL, EMBEDDED_PG_PORT). Refuses in production.
import { loadConfig } from '../src/platform/config.js';
import { CREDENTIAL_ROLES, devCredential, type CredentialRole } from './credentials.js';

const USAGE = `usage: npm run -s dev:credential -- <${CREDENTIAL_ROLES.join('|')}> <id>`;

async function main(): Promise<string> {
  // Before loadConfig: production's own checks would hide this answer.
  if (process.env.NODE_ENV === 'production') throw new Error('dev:credential refuses to run when NODE_ENV=production');
  const [role, id, ...rest] = process.argv.slice(2);
  if (!role || !id || rest.length > 0 || !CREDENTIAL_ROLES.includes(role as CredentialRole)) throw new Error(USAGE);
  const { credential, origin } = await devCredential(loadConfig(), role as CredentialRole, id);
  process.stderr.write(`${origin}\n`);
  return credential;
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
