// The command the READMEs document, run exactly as written from the repository root after
// `npm ci`: `npx entitlement-verify --issuer … --audience … <token>`. npm links the kit's bin
// (this folder is a workspace package, built by its `prepare` script at install time).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTestKey, signToken, startTestIssuer, type TestIssuer } from './test-issuer.js';

const REPOSITORY_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

let issuer: TestIssuer;
let token: string;

beforeAll(async () => {
  const key = await generateTestKey('k-npx');
  issuer = await startTestIssuer([key]);
  const now = Math.floor(Date.now() / 1000);
  token = await signToken(key, {
    iss: issuer.issuer,
    aud: 'sparkwash',
    sub: 'psn-npx',
    jti: 'jti-npx-1',
    iat: now,
    exp: now + 600,
    ent: 'ent-npx',
    ben: 'CAR_WASH',
  });
});

afterAll(async () => {
  await issuer?.close();
});

/** Runs `npx entitlement-verify …` from the repository root; never throws on a non-zero exit. */
async function npx(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // Asynchronous: the test issuer answers from this process while the command runs.
  return promisify(execFile)('npx', ['entitlement-verify', ...args], { cwd: REPOSITORY_ROOT, timeout: 30_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: typeof error.code === 'number' ? error.code : -1,
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? String(error),
    }),
  );
}

describe('npx entitlement-verify, as the READMEs document it', () => {
  it('verifies a token from the repository root and exits 0', async () => {
    const result = await npx(['--issuer', issuer.issuer, '--audience', 'sparkwash', token]);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^VALID entitlement token\n/);
    expect(result.stdout).toMatch(/benefit +CAR_WASH/);
    expect(result.stdout).toMatch(/member pseudonym +psn-npx/);
  }, 60_000);

  it("refuses another partner's token with exit code 1 and the reason", async () => {
    const result = await npx(['--issuer', issuer.issuer, '--audience', 'brewbar', token]);

    expect(result.code).toBe(1);
    expect(result.stderr).toBe('REJECTED WRONG_AUDIENCE: the token was issued to "sparkwash", not "brewbar"\n');
  }, 60_000);
});
