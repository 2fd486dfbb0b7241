import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from './run-cli.js';
import { generateTestKey, JWKS_PATH, METADATA_PATH, signToken, startTestIssuer, type TestIssuer, type TestKey } from './test-issuer.js';

const ISSUED_AT = new Date('2026-03-01T08:00:00Z');
const IAT = ISSUED_AT.getTime() / 1000;

let key: TestKey;
let issuer: TestIssuer;
let token: string;

beforeAll(async () => {
  key = await generateTestKey('k-2026-03');
  issuer = await startTestIssuer([key]);
  token = await signToken(key, {
    iss: issuer.issuer,
    aud: 'sparkwash',
    sub: 'psn-7f3a',
    jti: 'jti-0001',
    iat: IAT,
    exp: IAT + 600,
    ent: 'ent-42',
    ben: 'CAR_WASH',
  });
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

  it.each([
    ['no token', () => base(), /missing required argument 'token'/],
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
