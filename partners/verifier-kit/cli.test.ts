import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from './run-cli.js';
import {
  generateTestKey,
  JWKS_PATH,
  METADATA_PATH,
  signToken,
  startTestIssuer,
  statusClaim,
  type TestIssuer,
  type TestKey,
} from './test-issuer.js';

const ISSUED_AT = new Date('2026-03-01T08:00:00Z');
const IAT = ISSUED_AT.getTime() / 1000;

let key: TestKey;
let issuer: TestIssuer;
let token: string;
let listUri: string;
/** A token naming entry 7 (VALID) and one naming entry 8 (revoked) of the issuer's list. */
let withStatus: { valid: string; revoked: string };

beforeAll(async () => {
  key = await generateTestKey('k-2026-03');
  issuer = await startTestIssuer([key]);
  issuer.now = () => ISSUED_AT;
  const claims = {
    iss: issuer.issuer,
    aud: 'sparkwash',
    sub: 'psn-7f3a',
    jti: 'jti-0001',
    iat: IAT,
    exp: IAT + 600,
    ent: 'ent-42',
    ben: 'CAR_WASH',
  };
  token = await signToken(key, claims);
  listUri = issuer.addStatusList('sparkwash/1', 64);
  issuer.setStatus(listUri, 8, 1);
  withStatus = {
    valid: await signToken(key, { ...claims, status: statusClaim(listUri, 7) }),
    revoked: await signToken(key, { ...claims, status: statusClaim(listUri, 8) }),
  };
});

afterAll(async () => {
  await issuer.close();
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(argv: string[], stdin = ''): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdin: Readable.from([stdin]),
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    verifierOptions: { now: () => ISSUED_AT },
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

const base = () => ['--issuer', issuer.issuer, '--audience', 'sparkwash'];

describe('entitlement-verify', () => {
  it('prints the verified claims as a readable block and exits 0', async () => {
    const result = await run([...base(), token]);

    expect(result).toStrictEqual({
      code: 0,
      stderr: '',
      stdout: [
        'VALID entitlement token',
        '  member pseudonym  psn-7f3a',
        '  entitlement       ent-42',
        '  benefit           CAR_WASH',
        '  token id          jti-0001',
        '  issued at         2026-03-01T08:00:00.000Z',
        '  expires at        2026-03-01T08:10:00.000Z',
        '  key id            k-2026-03',
        '  status            none (the token has no status claim)',
        '',
      ].join('\n'),
    });
  });

  it('prints JSON with --json', async () => {
    const result = await run([...base(), '--json', token]);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toStrictEqual({
      memberPseudonym: 'psn-7f3a',
      entitlementId: 'ent-42',
      benefitCode: 'CAR_WASH',
      tokenId: 'jti-0001',
      issuedAt: '2026-03-01T08:00:00.000Z',
      expiresAt: '2026-03-01T08:10:00.000Z',
      keyId: 'k-2026-03',
      status: { state: 'NO_STATUS' },
    });
  });

  it('reads the token from stdin with -, ignoring the trailing newline', async () => {
    const result = await run([...base(), '--json', '-'], `${token}\n`);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ tokenId: 'jti-0001' });
  });

  it('uses --jwks instead of the issuer metadata', async () => {
    const own = await startTestIssuer([key]);
    try {
      // The token's iss is the shared issuer; only its keys come from `own`.
      const result = await run([...base(), '--jwks', own.jwksUri, token]);

      expect(result.code).toBe(0);
      expect(own.requests).toStrictEqual([JWKS_PATH]);
      expect(own.count(METADATA_PATH)).toBe(0);
    } finally {
      await own.close();
    }
  });

  it('prints REJECTED <reason>: <message> on stderr and exits 1 for another partner', async () => {
    const result = await run(['--issuer', issuer.issuer, '--audience', 'brewbar', token]);

    expect(result).toStrictEqual({
      code: 1,
      stdout: '',
      stderr: 'REJECTED WRONG_AUDIENCE: the token was issued to "sparkwash", not "brewbar"\n',
    });
  });

  it('rejects a tampered token and an empty stdin with exit 1', async () => {
    const at = token.lastIndexOf('.') + 1;
    const tampered = await run([...base(), token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1)]);
    const empty = await run([...base(), '-'], '\n');

    expect(tampered).toStrictEqual({
      code: 1,
      stdout: '',
      stderr: 'REJECTED BAD_SIGNATURE: the signature does not match the header and payload\n',
    });
    expect(empty).toStrictEqual({ code: 1, stdout: '', stderr: 'REJECTED MALFORMED: the token is empty\n' });
  });

  it('prints the status list entry of a token that has one', async () => {
    const result = await run([...base(), withStatus.valid]);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`\n  status            VALID (list ${listUri} entry 7, as of 2026-03-01T08:00:00.000Z)\n`);
  });

  it('prints REJECTED REVOKED and exits 1 for a revoked token', async () => {
    const result = await run([...base(), withStatus.revoked]);

    expect(result).toStrictEqual({
      code: 1,
      stdout: '',
      stderr: `REJECTED REVOKED: the token was revoked (entry 8 of status list ${listUri} is INVALID, as of 2026-03-01T08:00:00.000Z)\n`,
    });
  });

  it('skips the status check with --no-status, fetching no list', async () => {
    const before = issuer.requests.filter((path) => path.startsWith('/.well-known/status-lists/')).length;
    const result = await run([...base(), '--no-status', withStatus.revoked]);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`\n  status            not checked (--no-status; list ${listUri} entry 8)\n`);
    expect(issuer.requests.filter((path) => path.startsWith('/.well-known/status-lists/')).length).toBe(before);
  });

  it('refuses a token without a status claim with --require-status', async () => {
    const result = await run([...base(), '--require-status', token]);

    expect(result).toStrictEqual({ code: 1, stdout: '', stderr: 'REJECTED MISSING_CLAIM: the "status" claim is missing\n' });
  });

  it.each([
    ['no token', () => base(), /missing required argument 'token'/],
    ['--require-status with --no-status', () => [...base(), '--no-status', '--require-status', token], /^error: requireStatus needs checkStatus/],
    ['no --audience', () => ['--issuer', issuer.issuer, token], /required option '--audience <partnerId>' not specified/],
    ['no --issuer', () => ['--audience', 'sparkwash', token], /required option '--issuer <url>' not specified/],
    ['an unknown option', () => [...base(), '--insecure', token], /unknown option '--insecure'/],
    ['two tokens', () => [...base(), token, token], /too many arguments/],
    ['an issuer that is not a URL', () => ['--issuer', 'gateway', '--audience', 'sparkwash', token], /^error: issuer must be the issuer's http\(s\) URL/],
  ])('exits 2 on a usage error: %s', async (_case, argv, message) => {
    const result = await run(argv());

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
  });

  it('prints the help on stdout and exits 0', async () => {
    const result = await run(['--help']);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: entitlement-verify \[options\] <token>/);
    expect(result.stdout).toContain('Exit codes: 0 verified, 1 rejected');
  });
});
