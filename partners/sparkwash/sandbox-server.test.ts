import { describe, expect, it } from 'vitest';
import { callSandbox, itBehavesLikeASandbox, sandboxAdminState, useSandbox, type SandboxCallInit } from '../testing/sandbox.js';
import { startSparkwashSandbox } from './sandbox-server.js';

const sandbox = useSandbox(() => startSparkwashSandbox());
const call = (path: string, init?: SandboxCallInit) => callSandbox(sandbox, path, init);

function provisionBody(eventId: string, overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    memberPseudonym: 'psn-1',
    benefitCode: 'CAR_WASH',
    validFrom: '2026-01-01T00:00:00.000Z',
    validUntil: '2027-01-01T00:00:00.000Z',
    quota: 4,
    eventId,
    ...overrides,
  });
}

interface AdminState {
  passes: Array<{ entitlementId: string; memberNumber: string; status: string; bookings: unknown[] }>;
  provisioningCalls: Record<string, number>;
  effects: Array<{ eventId: string; action: string; entitlementId: string }>;
}

const adminState = () => sandboxAdminState<AdminState>(sandbox);

describe('SparkWash sandbox', () => {
  itBehavesLikeASandbox({ sandbox: () => sandbox, start: startSparkwashSandbox, apiPath: '/v1/sites', realm: 'sparkwash', keyPrefix: 'sw' });

  it('lists the seeded sites of one city, by its English or Chinese name', async () => {
    const byEnglish = (await (await call('/v1/sites?city=shanghai')).json()) as { sites: Array<{ id: string; city: { en: string } }> };
    const byChinese = (await (await call(`/v1/sites?city=${encodeURIComponent('北京')}&limit=2`)).json()) as { sites: Array<{ city: { en: string } }> };
    expect(byEnglish.sites).toHaveLength(3);
    expect(byEnglish.sites.every((site) => site.city.en === 'Shanghai')).toBe(true);
    expect(byChinese.sites).toHaveLength(2);
    expect(byChinese.sites.every((site) => site.city.en === 'Beijing')).toBe(true);
  });

  it('applies a provisioning call repeated with the same eventId exactly once', async () => {
    const first = await call('/v1/passes/ent-once', { method: 'PUT', body: provisionBody('evt-once') });
    const replay = await call('/v1/passes/ent-once', { method: 'PUT', body: provisionBody('evt-once') });
    expect(first.status).toBe(201);
    expect(replay.status).toBe(201);
    expect(await replay.json()).toEqual(await first.json());

    const state = await adminState();
    expect(state.provisioningCalls['evt-once']).toBe(2);
    expect(state.effects.filter((effect) => effect.eventId === 'evt-once')).toEqual([
      expect.objectContaining({ action: 'PASS_CREATED', entitlementId: 'ent-once' }),
    ]);
    expect(state.passes.filter((pass) => pass.entitlementId === 'ent-once')).toHaveLength(1);
  });

  it('keeps one pass and its number when an entitlement is provisioned again by a new event', async () => {
    const created = (await (await call('/v1/passes/ent-again', { method: 'PUT', body: provisionBody('evt-again-1') })).json()) as { memberNumber: string };
    const updated = await call('/v1/passes/ent-again', { method: 'PUT', body: provisionBody('evt-again-2', { quota: 6 }) });
    expect(updated.status).toBe(200);
    expect(await updated.json()).toMatchObject({ memberNumber: created.memberNumber, quota: 6 });
    const state = await adminState();
    expect(state.passes.filter((pass) => pass.entitlementId === 'ent-again')).toHaveLength(1);
  });

  it('refuses an eventId reused for a different call with 409 and changes nothing', async () => {
    await call('/v1/passes/ent-conflict', { method: 'PUT', body: provisionBody('evt-conflict') });
    const reused = await call('/v1/passes/ent-conflict', { method: 'PUT', body: provisionBody('evt-conflict', { quota: 99 }) });
    expect(reused.status).toBe(409);
    expect(await reused.json()).toMatchObject({ error: 'idempotency_conflict' });
    const pass = (await (await call('/v1/passes/ent-conflict')).json()) as { quota: number };
    expect(pass.quota).toBe(4);
  });

  it('revokes a pass once per event and accepts revoking an unknown pass', async () => {
    await call('/v1/passes/ent-revoke', { method: 'PUT', body: provisionBody('evt-revoke-0') });
    const revoke = () => call('/v1/passes/ent-revoke', { method: 'DELETE', headers: { 'idempotency-key': 'evt-revoke-1' } });
    expect((await revoke()).status).toBe(204);
    expect((await revoke()).status).toBe(204);
    expect((await call('/v1/passes/ent-unknown', { method: 'DELETE', headers: { 'idempotency-key': 'evt-revoke-2' } })).status).toBe(204);

    const state = await adminState();
    expect(state.effects.filter((effect) => effect.action === 'PASS_REVOKED')).toEqual([
      expect.objectContaining({ eventId: 'evt-revoke-1', entitlementId: 'ent-revoke' }),
    ]);
    expect(state.passes.find((pass) => pass.entitlementId === 'ent-revoke')?.status).toBe('REVOKED');
  });

  it('rejects a provisioning call without an eventId or with a bad body with 400', async () => {
    const noEvent = await call('/v1/passes/ent-bad', { method: 'PUT', body: provisionBody('', { eventId: undefined }) });
    const badDates = await call('/v1/passes/ent-bad', { method: 'PUT', body: provisionBody('evt-bad', { validUntil: '2025-01-01T00:00:00.000Z' }) });
    expect(noEvent.status).toBe(400);
    expect(badDates.status).toBe(400);
    expect(await badDates.json()).toMatchObject({ error: 'invalid_request', details: { validUntil: [expect.any(String)] } });
  });

  it('answers 404 for a pass it does not have', async () => {
    const response = await call('/v1/passes/ent-never');
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'pass_not_found' });
  });

  it('books a wash on an active pass and lists it with the pass', async () => {
    await call('/v1/passes/ent-book', { method: 'PUT', body: provisionBody('evt-book') });
    const booked = await call('/v1/passes/ent-book/bookings', {
      method: 'POST',
      body: JSON.stringify({ siteId: 'sw-bj-guomao', scheduledAt: '2026-05-01T02:00:00.000Z' }),
    });
    expect(booked.status).toBe(201);
    const pass = (await (await call('/v1/passes/ent-book')).json()) as { bookings: Array<{ site: { id: string }; status: string }> };
    expect(pass.bookings).toEqual([expect.objectContaining({ site: expect.objectContaining({ id: 'sw-bj-guomao' }), status: 'CONFIRMED' })]);
  });
});
