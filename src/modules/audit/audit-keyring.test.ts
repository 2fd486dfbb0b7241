import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditKeyring, auditKeyId, loadAuditKeyring } from './audit-keyring.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'audit-keyring-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const KEY = 'k'.repeat(32);

describe('the audit keyring', () => {
  it('names a key by the first 16 hex digits of its SHA-256', () => {
    expect(auditKeyId(Buffer.from(KEY))).toBe(createHash('sha256').update(KEY).digest('hex').slice(0, 16));
    expect(AuditKeyring.of(KEY).current?.id).toBe(auditKeyId(Buffer.from(KEY)));
  });

  it('prefers AUDIT_HMAC_KEY, and holds the old keys beside it', async () => {
    const old = 'o'.repeat(40);
    const keyring = await loadAuditKeyring({ key: KEY, keyFile: path.join(dir, 'secrets', 'audit.key'), oldKeys: [old] }, { create: true });
    expect(keyring.ids()).toEqual([auditKeyId(Buffer.from(KEY)), auditKeyId(Buffer.from(old))]);
    await expect(fs.stat(path.join(dir, 'secrets'))).rejects.toThrow(/ENOENT/);
  });

  it('creates the key file once, mode 0600, for the server; every later load reads the same key', async () => {
    const keyFile = path.join(dir, 'secrets', 'audit.key');
    const [a, b] = await Promise.all([
      loadAuditKeyring({ key: undefined, keyFile, oldKeys: [] }, { create: true }),
      loadAuditKeyring({ key: undefined, keyFile, oldKeys: [] }, { create: true }),
    ]);
    expect(a.current?.id).toBe(b.current?.id);
    expect((await fs.stat(keyFile)).mode & 0o777).toBe(0o600);
    expect((await fs.stat(path.dirname(keyFile))).mode & 0o777).toBe(0o700);
    expect((await loadAuditKeyring({ key: undefined, keyFile, oldKeys: [] }, { create: false })).current?.id).toBe(a.current?.id);
  });

  it('never creates a key for the verifier: without one, the keyring has no current key', async () => {
    const keyFile = path.join(dir, 'secrets', 'audit.key');
    const keyring = await loadAuditKeyring({ key: undefined, keyFile, oldKeys: [] }, { create: false });
    expect(keyring.current).toBeUndefined();
    expect(keyring.ids()).toEqual([]);
    await expect(fs.stat(keyFile)).rejects.toThrow(/ENOENT/);
  });

  it('needs AUDIT_HMAC_KEY itself where it is required (production), never a file', async () => {
    const keyFile = path.join(dir, 'secrets', 'audit.key');
    await expect(loadAuditKeyring({ key: undefined, keyFile, oldKeys: [], keyRequired: true }, { create: true })).rejects.toThrow(/production needs AUDIT_HMAC_KEY/);
    await expect(fs.stat(keyFile)).rejects.toThrow(/ENOENT/);
    expect((await loadAuditKeyring({ key: KEY, keyFile, oldKeys: [], keyRequired: true }, { create: true })).current?.id).toBe(auditKeyId(Buffer.from(KEY)));
  });

  it('refuses a key shorter than 32 characters, naming where it came from', async () => {
    const keyFile = path.join(dir, 'audit.key');
    await fs.writeFile(keyFile, 'short\n');
    await expect(loadAuditKeyring({ key: undefined, keyFile, oldKeys: [] }, { create: true })).rejects.toThrow(/at least 32 characters.*; check audit key file/);
    await expect(loadAuditKeyring({ key: KEY, keyFile, oldKeys: ['short'] }, { create: true })).rejects.toThrow(/old audit key #1 must hold at least 32/);
  });
});
