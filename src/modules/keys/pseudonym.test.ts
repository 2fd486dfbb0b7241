import { createHmac } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadPseudonymSecret, MemberPseudonymizer } from './pseudonym.js';
import { FileSigningKeyStore } from './signing-key-store.js';

let dir: string;
let secretFile: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pseudonym-'));
  secretFile = path.join(dir, 'secrets', 'pseudonym.key');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadPseudonymSecret', () => {
  it('creates the secret file with mode 0600 on first use and reads the same secret afterwards', async () => {
    const first = await loadPseudonymSecret({ file: secretFile });
    const again = await loadPseudonymSecret({ file: secretFile });

    expect(again.equals(first)).toBe(true);
    expect((await stat(secretFile)).mode & 0o777).toBe(0o600);
  });

  it('uses the given secret instead of the file when one is set', async () => {
    const secret = 'a-configured-secret-of-at-least-32-characters';

    expect((await loadPseudonymSecret({ secret, file: secretFile })).toString('utf8')).toBe(secret);
    await expect(stat(secretFile)).rejects.toThrow(/ENOENT/);
  });

  it('gives the same pseudonyms when the file content is moved into the secret setting', async () => {
    const fromFile = new MemberPseudonymizer(await loadPseudonymSecret({ file: secretFile }));
    const text = (await readFile(secretFile, 'utf8')).trim();
    const fromSetting = new MemberPseudonymizer(await loadPseudonymSecret({ secret: text, file: 'unused' }));

    expect(fromSetting.forPartner('member-1', 'sparkwash')).toBe(fromFile.forPartner('member-1', 'sparkwash'));
  });

  it('rejects a configured secret shorter than 32 characters', async () => {
    await expect(loadPseudonymSecret({ secret: 'too-short', file: secretFile })).rejects.toThrow(
      'The PSEUDONYM_SECRET must hold at least 32 characters',
    );
  });

  it('agrees on one secret when several first loads race', async () => {
    const secrets = await Promise.all(Array.from({ length: 8 }, () => loadPseudonymSecret({ file: secretFile })));

    expect(new Set(secrets.map((s) => s.toString('hex'))).size).toBe(1);
  });
});

describe('MemberPseudonymizer', () => {
  const pseudonymizer = new MemberPseudonymizer(Buffer.alloc(32, 7));

  it('gives the same pseudonym for the same member and partner every time', () => {
    expect(pseudonymizer.forPartner('member-1', 'sparkwash')).toBe(pseudonymizer.forPartner('member-1', 'sparkwash'));
  });

  it('gives a member a different pseudonym at each partner', () => {
    expect(pseudonymizer.forPartner('member-1', 'sparkwash')).not.toBe(pseudonymizer.forPartner('member-1', 'brewbar'));
  });

  it('gives different members different pseudonyms at one partner', () => {
    expect(pseudonymizer.forPartner('member-1', 'sparkwash')).not.toBe(pseudonymizer.forPartner('member-2', 'sparkwash'));
  });

  it('derives the pseudonym as base64url HMAC-SHA256 of "v1:partner:member"', () => {
    const expected = createHmac('sha256', Buffer.alloc(32, 7)).update('v1:sparkwash:member-1').digest('base64url');

    expect(pseudonymizer.forPartner('member-1', 'sparkwash')).toBe(expected);
  });

  it('gives a different pseudonym under a different secret', () => {
    const other = new MemberPseudonymizer(Buffer.alloc(32, 8));

    expect(other.forPartner('member-1', 'sparkwash')).not.toBe(pseudonymizer.forPartner('member-1', 'sparkwash'));
  });

  it('keeps pseudonyms unchanged after a new signing key is generated', async () => {
    const before = new MemberPseudonymizer(await loadPseudonymSecret({ file: secretFile })).forPartner('m-1', 'brewbar');
    await FileSigningKeyStore.open(path.join(dir, 'keys-a'));
    await FileSigningKeyStore.open(path.join(dir, 'keys-b'));
    const after = new MemberPseudonymizer(await loadPseudonymSecret({ file: secretFile })).forPartner('m-1', 'brewbar');

    expect(after).toBe(before);
  });

  it('rejects a partner id containing ":" so two pairs never share an HMAC input', () => {
    expect(() => pseudonymizer.forPartner('x', 'spark:wash')).toThrow(TypeError);
  });

  it('rejects a secret shorter than 32 bytes', () => {
    expect(() => new MemberPseudonymizer(Buffer.alloc(16))).toThrow(TypeError);
  });
});
