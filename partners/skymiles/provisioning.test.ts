import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sandboxAdminState } from '../testing/sandbox.js';
import { skymiles } from './index.js';
import { startSkymilesSandbox } from './sandbox-server.js';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.fixture.js';
import { generateWebhookSecret, verifyWebhook, type PartnerProvisioning, type PartnerRight, type RunningSandbox } from '../sdk/index.js';
import { skymilesSandbox } from './sandbox-server.js';

const CONFIRM_AFTER_MS = 100;
const secret = generateWebhookSecret();

let receiver: WebhookReceiver;
let sandbox: RunningSandbox;
let provisioning: PartnerProvisioning;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  sandbox = await startSkymilesSandbox({
    confirmAfterMs: CONFIRM_AFTER_MS,
    acknowledgeUrl: receiver.url,
    acknowledgeSecrets: [secret],
    rejectPseudonyms: ['psn-frozen-account'],
  });
  provisioning = skymiles.provisioning(skymiles.createClient({ baseUrl: sandbox.url, apiKey: sandbox.apiKey }));
});
afterAll(async () => {
  await sandbox?.close();
  await receiver?.close();
});

function right(entitlementId: string, overrides: Partial<PartnerRight> = {}): PartnerRight {
  return {
    entitlementId,
    memberPseudonym: `psn-${entitlementId}`,
    benefitCode: 'SKYMILES_BONUS',
    validFrom: new Date('2026-01-01T00:00:00.000Z'),
    validUntil: new Date('2027-01-01T00:00:00.000Z'),
    quota: 2000,
    ...overrides,
  };
}

interface AdminState {
  conversions: Array<{ conversionId: string; miles: number; status: string }>;
  provisioningCalls: Record<string, number>;
  effects: Array<{ eventId: string; action: string }>;
}

const adminState = () => sandboxAdminState<AdminState>(sandbox);

/** The acknowledgement webhook of one entitlement, verified, once it has arrived. */
async function acknowledgementOf(entitlementId: string): Promise<Record<string, unknown>> {
  return vi.waitFor(
    () => {
      const bodies = receiver.received.filter((webhook) => webhook.body.includes(`"entitlementId":"${entitlementId}"`));
      expect(bodies).toHaveLength(1);
      verifyWebhook(bodies[0]!.body, bodies[0]!.headers, [secret], { toleranceSeconds: 5 });
      return JSON.parse(bodies[0]!.body) as Record<string, unknown>;
    },
    { timeout: 2000, interval: 20 },
  );
}

describe('skymiles provisioning', () => {
  it('requests the conversion as PENDING, then reads ACTIVE once SkyMiles has credited it after confirmAfterMs', async () => {
    expect(await provisioning.provision(right('ent-p1'), 'evt-p1')).toEqual({ status: 'PENDING' });
    expect(await provisioning.status('ent-p1')).toEqual({ status: 'PENDING', validUntil: new Date('2027-01-01T00:00:00.000Z') });

    await new Promise((resolve) => setTimeout(resolve, CONFIRM_AFTER_MS));
    await vi.waitFor(async () => expect(await provisioning.status('ent-p1')).toEqual({ status: 'ACTIVE', validUntil: new Date('2027-01-01T00:00:00.000Z') }), {
      timeout: 2000,
      interval: 20,
    });
  });

  it('sends the quota as the number of miles to credit', async () => {
    await provisioning.provision(right('ent-p2', { quota: 5000 }), 'evt-p2');
    expect((await adminState()).conversions.find((conversion) => conversion.conversionId === 'ent-p2')).toMatchObject({ miles: 5000 });
  });

  it('is acknowledged by a signed right.acknowledged webhook that verifies', async () => {
    await provisioning.provision(right('ent-p3'), 'evt-p3');
    const acknowledgement = await acknowledgementOf('ent-p3');
    expect(acknowledgement).toEqual({
      type: 'right.acknowledged',
      entitlementId: 'ent-p3',
      status: 'ACTIVE',
      activeUntil: '2027-01-01T00:00:00.000Z',
      reference: expect.stringMatching(/^SKC[0-9A-F]{10}$/),
    });
  });

  it('requests one conversion when the same event is delivered twice', async () => {
    expect(await provisioning.provision(right('ent-p4'), 'evt-p4')).toEqual({ status: 'PENDING' });
    expect(await provisioning.provision(right('ent-p4'), 'evt-p4')).toEqual({ status: 'PENDING' });
    const state = await adminState();
    expect(state.provisioningCalls['evt-p4']).toBe(2);
    expect(state.conversions.filter((conversion) => conversion.conversionId === 'ent-p4')).toHaveLength(1);
    expect(state.effects.filter((effect) => effect.eventId === 'evt-p4' && effect.action === 'CONVERSION_REQUESTED')).toHaveLength(1);
  });

  it('answers ACTIVE when a new event asks for a conversion SkyMiles has already credited', async () => {
    await provisioning.provision(right('ent-p5'), 'evt-p5');
    await acknowledgementOf('ent-p5');
    expect(await provisioning.provision(right('ent-p5'), 'evt-p5-again')).toEqual({ status: 'ACTIVE' });
  });

  it('reads REVOKED for a conversion SkyMiles rejected, acknowledged as REJECTED', async () => {
    await provisioning.provision(right('ent-p6', { memberPseudonym: 'psn-frozen-account' }), 'evt-p6');
    expect(await acknowledgementOf('ent-p6')).toEqual({ type: 'right.acknowledged', entitlementId: 'ent-p6', status: 'REJECTED', reason: 'account_not_eligible' });
    expect(await provisioning.status('ent-p6')).toMatchObject({ status: 'REVOKED' });
  });

  it('reads UNKNOWN for a right SkyMiles never received', async () => {
    expect(await provisioning.status('ent-never')).toEqual({ status: 'UNKNOWN' });
  });

  it('reverses a credited conversion once, whatever the retries', async () => {
    await provisioning.provision(right('ent-p7'), 'evt-p7');
    await acknowledgementOf('ent-p7');
    await provisioning.revoke('ent-p7', 'evt-p7-revoke');
    await provisioning.revoke('ent-p7', 'evt-p7-revoke');
    expect(await provisioning.status('ent-p7')).toMatchObject({ status: 'REVOKED' });
    expect((await adminState()).effects.filter((effect) => effect.eventId === 'evt-p7-revoke')).toEqual([
      expect.objectContaining({ action: 'CREDIT_REVERSED' }),
    ]);
  });

  it('revokes a right SkyMiles never received without error', async () => {
    await expect(provisioning.revoke('ent-never', 'evt-never-revoke')).resolves.toBeUndefined();
  });

  it('refuses a right without a positive miles quota, calling nothing', async () => {
    await expect(provisioning.provision(right('ent-p8', { quota: null }), 'evt-p8')).rejects.toThrow(
      /ent-p8 \(benefit SKYMILES_BONUS\) has quota null; set the benefit quota to the number of miles/,
    );
    expect((await adminState()).provisioningCalls['evt-p8']).toBeUndefined();
  });

  it('fails with DOWNSTREAM_SERVICE_ERROR naming skymiles while the partner is down', async () => {
    sandbox.setDown(true);
    try {
      await expect(provisioning.provision(right('ent-p9'), 'evt-p9')).rejects.toMatchObject({
        extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', service: 'skymiles' },
        message: 'Partner service skymiles is unavailable: POST /v1/conversions answered HTTP 503',
      });
    } finally {
      sandbox.setDown(false);
    }
  });

  it('starts its sandbox through the adapter with the defaults, confirming after 200 ms', async () => {
    const defaults = await skymilesSandbox.start();
    try {
      const own = skymiles.provisioning(skymiles.createClient({ baseUrl: defaults.url, apiKey: defaults.apiKey }));
      const started = Date.now();
      expect(await own.provision(right('ent-d1'), 'evt-d1')).toEqual({ status: 'PENDING' });
      await vi.waitFor(async () => expect((await own.status('ent-d1')).status).toBe('ACTIVE'), { timeout: 2000, interval: 20 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    } finally {
      await defaults.close();
    }
  });
});
