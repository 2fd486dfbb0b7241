// `npm run -s dev:credential -- <member|admin|pm|support|finance|analyst|partner> <id>` as the README runs it, against a
// running app: it reads the app's configuration (DATA_DIR, DATABASE_URL), prints the
// credential alone on stdout and where it comes from on stderr, and runs the compiled script
// without compiling again (npm test builds dist/ first).
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../src/modules/audit/index.js';
import { hashApiKey } from '../src/modules/auth/index.js';
import { startTestApp, type TestApp } from './support/app.js';

const COMPILED = path.resolve('dist/scripts/dev-credential.js');

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run -s dev:credential -- …args` with the app's configuration; never throws on a non-zero exit. */
async function devCredential(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const childEnv = { ...process.env, NODE_ENV: 'development', DATA_DIR: t.dataDir, DATABASE_URL: t.db.url, ...env };
  return promisify(execFile)('npm', ['run', '-s', 'dev:credential', '--', ...args], { env: childEnv, timeout: 60_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? -1, stdout: error.stdout ?? '', stderr: error.stderr ?? '' }),
  );
}

describe('npm run -s dev:credential', () => {
  it('prints a member JWT the running app accepts, and names the dev issuer that signed it', async () => {
    const run = await devCredential(['member', 'alice']);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect(run.stderr).toBe(
      `member JWT for "alice" signed by the dev issuer in ${path.join(t.dataDir, 'dev-issuer')} (iss urn:coalition-gateway:dev-issuer, aud coalition-gateway)\n`,
    );
    const me = await t.graphql(`{ me { id membership { id } } }`, {}, { bearer: run.stdout.trim() });
    expect(me.errors).toBeUndefined();
    expect(me.data.me).toMatchObject({ membership: null });
  });

  it('prints an admin JWT that may call admin operations', async () => {
    const run = await devCredential(['admin', 'ops-1']);

    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^admin JWT for "ops-1" signed by the dev issuer in /);
    const partners = await t.graphql(`{ partners { id } }`, {}, { bearer: run.stdout.trim() });
    expect(partners.errors).toBeUndefined();
    expect(partners.data.partners.map((p: { id: string }) => p.id)).toContain('sparkwash');
  });

  it('prints a JWT for each staff role that may call what the role allows and nothing an admin alone may', async () => {
    // One operation each role may call, and one only an admin may.
    const allowed = { pm: '{ segments { code } }', support: '{ partners { id } }', finance: '{ pointsLiability { outstanding } }', analyst: '{ activityImports { id } }' };
    for (const [role, query] of Object.entries(allowed)) {
      const run = await devCredential([role, `${role}-1`]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(new RegExp(`^${role} JWT for "${role}-1" signed by the dev issuer in `));
      const [, payload] = run.stdout.trim().split('.');
      expect(JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'))).toMatchObject({ roles: [role], sub: `${role}-1` });
      const answer = await t.graphql(query, {}, { bearer: run.stdout.trim() });
      expect(answer.errors, `${role}: ${query}`).toBeUndefined();
      const refused = await t.graphql(`{ channelApiKeys { id } }`, {}, { bearer: run.stdout.trim() });
      expect(refused.errors?.[0]?.extensions?.code, role).toBe('FORBIDDEN');
    }
  });

  it('writes a partner key to the app database (hash only, audited in the intact chain) and prints it once', async () => {
    const run = await devCredential(['partner', 'sparkwash']);

    expect(run.code).toBe(0);
    const key = run.stdout.trim();
    expect(key).toMatch(/^cgk_sparkwash_[\w-]{43}$/);
    const dbUrl = new URL(t.db.url);
    dbUrl.password = '';
    expect(run.stderr).toBe(`partner API key ${key.slice(0, 20)}… for "sparkwash" written to DATABASE_URL ${dbUrl.toString()}\n`);

    const benefits = await t.graphql(`{ partnerBenefits { code } }`, {}, { bearer: key });
    expect(benefits.errors).toBeUndefined();
    expect(benefits.data.partnerBenefits).toEqual([{ code: 'CAR_WASH' }]);

    const [stored] = await t.db.query(`select key_hash, prefix from partner_api_key where key_hash = $1`, [hashApiKey(key)]);
    expect(stored).toEqual({ key_hash: hashApiKey(key), prefix: key.slice(0, 20) });
    const [audit] = await t.db.query(`select actor, action, after from audit_log order by at desc limit 1`);
    expect(audit).toMatchObject({ actor: expect.stringMatching(/^operator:/), action: 'partner_api_key.create', after: { partnerId: 'sparkwash', prefix: key.slice(0, 20) } });
    expect(JSON.stringify(audit)).not.toContain(key);
    expect(await verifyAuditChain(t.app.orm.em.fork())).toMatchObject({ intact: true });
  });

  it('runs the compiled script without compiling it again', async () => {
    const before = statSync(COMPILED).mtimeMs;
    const run = await devCredential(['member', 'bob']);

    expect(run.code).toBe(0);
    expect(run.stderr).not.toContain('Compiling');
    expect(statSync(COMPILED).mtimeMs).toBe(before); // tsc rewrites every output it compiles
  });

  it('refuses an unknown partner, naming the seeded ones, and writes nothing', async () => {
    const [before] = await t.db.query(`select (select count(*) from partner_api_key)::int as keys, (select count(*) from audit_log)::int as audit`);
    const run = await devCredential(['partner', 'nobody']);

    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^Partner "nobody" not found in DATABASE_URL .*; partners there: brewbar, skymiles, sparkwash, streamflix\n$/);
    const [after] = await t.db.query(`select (select count(*) from partner_api_key)::int as keys, (select count(*) from audit_log)::int as audit`);
    expect(after).toEqual(before);
  });

  it('refuses bad usage and production, printing no credential', async () => {
    for (const args of [[], ['member'], ['visitor', 'x'], ['member', 'a', 'b']]) {
      const run = await devCredential(args);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe('usage: npm run -s dev:credential -- <member|admin|pm|support|finance|analyst|partner> <id>\n');
    }
    const production = await devCredential(['member', 'alice'], { NODE_ENV: 'production' });
    expect(production).toEqual({ code: 1, stdout: '', stderr: 'dev:credential refuses to run when NODE_ENV=production\n' });
  });
});
