import { describe, expect, it } from 'vitest';
import { callSandbox, itBehavesLikeASandbox, sandboxAdminState, useSandbox, type SandboxCallInit } from '../testing/sandbox.js';
import { startBrewbarSandbox } from './sandbox-server.js';

const sandbox = useSandbox(() => startBrewbarSandbox());
const call = (path: string, init?: SandboxCallInit) => callSandbox(sandbox, path, init);

function memberBody(eventId: string, overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    memberPseudonym: 'psn-1',
    benefitCode: 'COFFEE',
    validFrom: '2026-03-01T00:00:00.000Z',
    validUntil: '2026-04-01T00:00:00.000Z',
    quota: 10,
    eventId,
    ...overrides,
  });
}

async function exportCodes(count: number): Promise<string[]> {
  const response = await call(`/v1/pool/export?count=${count}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { codes: string[] }).codes;
}

function scan(body: Record<string, unknown>): Promise<Response> {
  return call('/v1/scans', { method: 'POST', body: JSON.stringify(body) });
}

interface AdminState {
  members: Array<{ entitlementId: string; status: string; quota: number | null; scans: Array<{ code: string }> }>;
  pool: { issued: number; scanned: number };
  provisioningCalls: Record<string, number>;
  effects: Array<{ eventId: string; action: string; entitlementId: string }>;
}

const adminState = () => sandboxAdminState<AdminState>(sandbox);

describe('BrewBar sandbox', () => {
  itBehavesLikeASandbox({ sandbox: () => sandbox, start: startBrewbarSandbox, apiPath: '/v1/stores', realm: 'brewbar', keyPrefix: 'bb' });

  it('takes the API key on every partner API call, scans and exports included', async () => {
    expect((await call('/v1/scans', { method: 'POST', key: 'wrong', body: JSON.stringify({ code: 'BB-00000000' }) })).status).toBe(401);
    expect((await call('/v1/pool/export?count=1', { key: null })).status).toBe(401);
  });

  it('lists the seeded stores of one city, by its English or Chinese name, with both languages', async () => {
    const byEnglish = (await (await call('/v1/stores?city=shanghai')).json()) as { stores: Array<{ city: { en: string } }> };
    const byChinese = (await (await call(`/v1/stores?city=${encodeURIComponent('北京')}&limit=2`)).json()) as {
      stores: Array<{ id: string; name: { en: string; 'zh-CN': string }; city: { en: string } }>;
    };
    expect(byEnglish.stores).toHaveLength(3);
    expect(byEnglish.stores.every((store) => store.city.en === 'Shanghai')).toBe(true);
    expect(byChinese.stores).toHaveLength(2);
    expect(byChinese.stores[0]).toMatchObject({ id: 'bb-bj-taikooli', name: { en: 'BrewBar Taikoo Li Sanlitun', 'zh-CN': '醇吧咖啡 三里屯太古里店' } });
  });

  it('exports fresh, unique codes in the BB-XXXXXXXX format the coalition accepts', async () => {
    const first = await exportCodes(50);
    const second = await exportCodes(50);
    expect(first).toHaveLength(50);
    expect(new Set([...first, ...second]).size).toBe(100);
    for (const code of first) expect(code).toMatch(/^BB-[0-9A-HJKMNP-TV-Z]{8}$/);
  });

  it('refuses an export count out of range with 400', async () => {
    for (const count of ['0', '5001', 'x']) {
      const response = await call(`/v1/pool/export?count=${count}`);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'invalid_request', details: { count: expect.any(String) } });
    }
    expect((await call('/v1/pool/export')).status).toBe(400);
  });

  it('accepts a code once, then answers 409 already_scanned with when it was scanned', async () => {
    const [code] = await exportCodes(1);
    const first = await scan({ code });
    expect(first.status).toBe(200);
    const scanned = (await first.json()) as { code: string; scannedAt: string; entitlementId: null };
    expect(scanned).toEqual({ code, scannedAt: expect.any(String), entitlementId: null });

    const second = await scan({ code });
    expect(second.status).toBe(409);
    expect(await second.json()).toEqual({ error: 'already_scanned', details: { scannedAt: scanned.scannedAt } });

    const record = await call(`/v1/codes/${code}`);
    expect(await record.json()).toEqual({ code, scanned: true, scannedAt: scanned.scannedAt, entitlementId: null });
  });

  it('accepts the BREWBAR1 QR payload at the till as well as the bare code', async () => {
    const [code] = await exportCodes(1);
    expect((await scan({ code: `BREWBAR1:${code}` })).status).toBe(200);
    expect((await scan({ code })).status).toBe(409);
  });

  it('answers 404 unknown_code for a code it never issued', async () => {
    const response = await scan({ code: 'BB-NEVER000' });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'unknown_code' });
    expect((await call('/v1/codes/BB-NEVER000')).status).toBe(404);
  });

  it('credits a scan to a member and lists it with the member', async () => {
    await call('/v1/members/ent-scan', { method: 'PUT', body: memberBody('evt-scan') });
    const [code] = await exportCodes(1);
    expect((await scan({ code, entitlementId: 'ent-scan' })).status).toBe(200);

    const member = (await (await call('/v1/members/ent-scan')).json()) as { status: string; quota: number; scans: Array<{ code: string }> };
    expect(member).toMatchObject({ status: 'ACTIVE', quota: 10, scans: [{ code, scannedAt: expect.any(String) }] });
  });

  it('refuses a scan for an unknown or revoked member and leaves the code unscanned', async () => {
    const [code] = await exportCodes(1);
    const unknown = await scan({ code, entitlementId: 'ent-nobody' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'member_not_found' });

    await call('/v1/members/ent-gone', { method: 'PUT', body: memberBody('evt-gone') });
    await call('/v1/members/ent-gone', { method: 'DELETE', headers: { 'idempotency-key': 'evt-gone-revoke' } });
    const revoked = await scan({ code, entitlementId: 'ent-gone' });
    expect(revoked.status).toBe(409);
    expect(await revoked.json()).toMatchObject({ error: 'member_not_active' });

    expect(await (await call(`/v1/codes/${code}`)).json()).toMatchObject({ scanned: false, scannedAt: null });
  });

  it('registers an allowance once when the same eventId is delivered twice', async () => {
    const first = await call('/v1/members/ent-once', { method: 'PUT', body: memberBody('evt-once') });
    const replay = await call('/v1/members/ent-once', { method: 'PUT', body: memberBody('evt-once') });
    expect(first.status).toBe(201);
    expect(replay.status).toBe(201);
    expect(await replay.json()).toEqual(await first.json());

    const state = await adminState();
    expect(state.provisioningCalls['evt-once']).toBe(2);
    expect(state.effects.filter((effect) => effect.eventId === 'evt-once')).toEqual([
      expect.objectContaining({ action: 'MEMBER_REGISTERED', entitlementId: 'ent-once' }),
    ]);
    expect(state.members.filter((member) => member.entitlementId === 'ent-once')).toHaveLength(1);
  });

  it('updates one allowance when an entitlement is provisioned again by a new event', async () => {
    await call('/v1/members/ent-again', { method: 'PUT', body: memberBody('evt-again-1') });
    const updated = await call('/v1/members/ent-again', { method: 'PUT', body: memberBody('evt-again-2', { quota: 12 }) });
    expect(updated.status).toBe(200);
    expect(await updated.json()).toMatchObject({ entitlementId: 'ent-again', quota: 12 });
    const state = await adminState();
    expect(state.members.filter((member) => member.entitlementId === 'ent-again')).toHaveLength(1);
  });

  it('refuses an eventId reused for a different call with 409 and changes nothing', async () => {
    await call('/v1/members/ent-conflict', { method: 'PUT', body: memberBody('evt-conflict') });
    const reused = await call('/v1/members/ent-conflict', { method: 'PUT', body: memberBody('evt-conflict', { quota: 99 }) });
    expect(reused.status).toBe(409);
    expect(await reused.json()).toMatchObject({ error: 'idempotency_conflict' });
    const member = (await (await call('/v1/members/ent-conflict')).json()) as { quota: number };
    expect(member.quota).toBe(10);
  });

  it('revokes an allowance once per event and accepts revoking an unknown one', async () => {
    await call('/v1/members/ent-revoke', { method: 'PUT', body: memberBody('evt-revoke-0') });
    const revoke = () => call('/v1/members/ent-revoke', { method: 'DELETE', headers: { 'idempotency-key': 'evt-revoke-1' } });
    expect((await revoke()).status).toBe(204);
    expect((await revoke()).status).toBe(204);
    expect((await call('/v1/members/ent-unknown', { method: 'DELETE', headers: { 'idempotency-key': 'evt-revoke-2' } })).status).toBe(204);

    const state = await adminState();
    expect(state.effects.filter((effect) => effect.eventId.startsWith('evt-revoke') && effect.action === 'MEMBER_REVOKED')).toEqual([
      expect.objectContaining({ eventId: 'evt-revoke-1', entitlementId: 'ent-revoke' }),
    ]);
    expect(state.members.find((member) => member.entitlementId === 'ent-revoke')?.status).toBe('REVOKED');
  });

  it('rejects a provisioning call without an eventId or with a bad body with 400', async () => {
    const noEvent = await call('/v1/members/ent-bad', { method: 'PUT', body: memberBody('', { eventId: undefined }) });
    const badDates = await call('/v1/members/ent-bad', { method: 'PUT', body: memberBody('evt-bad', { validUntil: '2025-01-01T00:00:00.000Z' }) });
    expect(noEvent.status).toBe(400);
    expect(badDates.status).toBe(400);
    expect(await badDates.json()).toMatchObject({ error: 'invalid_request', details: { validUntil: [expect.any(String)] } });
  });

  it('answers 404 for a member it does not have', async () => {
    const response = await call('/v1/members/ent-never');
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'member_not_found' });
  });

  it('answers 503 to scans too while down', async () => {
    sandbox.setDown(true);
    try {
      expect((await scan({ code: 'BB-00000000' })).status).toBe(503);
    } finally {
      sandbox.setDown(false);
    }
  });
});
