import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxAdminState } from '../testing/sandbox.js';
import { streamflix } from './index.js';
import type { RunningStreamflixSandbox } from './sandbox-server.js';
import { generateWebhookSecret, type PartnerClientOptions, type PartnerProvisioning, type PartnerRight } from '../sdk/index.js';
import { streamflixSandbox } from './sandbox-server.js';

let sandbox: RunningStreamflixSandbox;
let provisioning: PartnerProvisioning;

/** The client options the lead's wiring passes: `webhookSecrets` rides along with the common ones. */
function clientOptions(webhookSecrets: string[] = sandbox.webhookSecrets): PartnerClientOptions & { webhookSecrets: string[] } {
  return { baseUrl: sandbox.url, apiKey: sandbox.apiKey, webhookSecrets };
}

beforeAll(async () => {
  // Through the adapter, with defaults: the sandbox generates the secret and exposes it.
  sandbox = (await streamflixSandbox.start()) as RunningStreamflixSandbox;
  provisioning = streamflix.provisioning(streamflix.createClient(clientOptions()));
});
afterAll(async () => {
  await sandbox.close();
});

function right(entitlementId: string): PartnerRight {
  return {
    entitlementId,
    memberPseudonym: `psn-${entitlementId}`,
    benefitCode: 'STREAMING_VIP',
    validFrom: new Date('2026-01-01T00:00:00.000Z'),
    validUntil: new Date('2027-01-01T00:00:00.000Z'),
    quota: null,
  };
}

interface AdminState {
  deliveries: Record<string, number>;
  effects: Array<{ eventId: string | null; action: string; entitlementId: string }>;
}

const adminState = () => sandboxAdminState<AdminState>(sandbox);

async function effectsOf(eventId: string): Promise<AdminState['effects']> {
  return (await adminState()).effects.filter((effect) => effect.eventId === eventId);
}

/** Plays the member: opens the activation link, then submits the page's form as a browser would. */
async function linkAsMember(entitlementId: string, streamflixUser: string): Promise<void> {
  const rest = await fetch(`${sandbox.url}/v1/rights/${entitlementId}`, { headers: { authorization: `Bearer ${sandbox.apiKey}` } });
  const { activationUrl } = (await rest.json()) as { activationUrl: string };
  const html = await (await fetch(activationUrl)).text();
  const form = new URLSearchParams({ streamflixUser });
  for (const [, name, value] of html.matchAll(/<input type="hidden" name="(\w+)" value="([^"]*)">/g)) form.set(name!, value!);
  const linked = await fetch(new URL('/activate', activationUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  expect(linked.status).toBe(200);
}

describe('streamflix provisioning', () => {
  it('answers PENDING: the right waits for the member to link a Streamflix account', async () => {
    expect(await provisioning.provision(right('ent-p1'), 'evt-p1')).toEqual({ status: 'PENDING' });
    expect(await provisioning.status('ent-p1')).toEqual({ status: 'PENDING', validUntil: new Date('2027-01-01T00:00:00.000Z') });
  });

  it('applies the same event delivered twice once', async () => {
    expect(await provisioning.provision(right('ent-p2'), 'evt-p2')).toEqual({ status: 'PENDING' });
    expect(await provisioning.provision(right('ent-p2'), 'evt-p2')).toEqual({ status: 'PENDING' });
    expect((await adminState()).deliveries['evt-p2']).toBe(2);
    expect(await effectsOf('evt-p2')).toEqual([expect.objectContaining({ action: 'RIGHT_CREATED', entitlementId: 'ent-p2' })]);
  });

  it('reads ACTIVE once the member links their Streamflix account', async () => {
    await provisioning.provision(right('ent-p3'), 'evt-p3');
    await linkAsMember('ent-p3', 'neo');
    expect(await provisioning.status('ent-p3')).toEqual({ status: 'ACTIVE', validUntil: new Date('2027-01-01T00:00:00.000Z') });
  });

  it('answers ACTIVE when a right already linked is provisioned again', async () => {
    await provisioning.provision(right('ent-p4'), 'evt-p4');
    await linkAsMember('ent-p4', 'trinity');
    expect(await provisioning.provision({ ...right('ent-p4'), validUntil: new Date('2028-01-01T00:00:00.000Z') }, 'evt-p4-renew')).toEqual({ status: 'ACTIVE' });
  });

  it('reads UNKNOWN for a right the partner never received', async () => {
    expect(await provisioning.status('ent-never')).toEqual({ status: 'UNKNOWN' });
  });

  it('revokes a right once, whatever the retries', async () => {
    await provisioning.provision(right('ent-p5'), 'evt-p5');
    await provisioning.revoke('ent-p5', 'evt-p5-revoke');
    await provisioning.revoke('ent-p5', 'evt-p5-revoke');
    expect(await provisioning.status('ent-p5')).toMatchObject({ status: 'REVOKED' });
    expect(await effectsOf('evt-p5-revoke')).toEqual([expect.objectContaining({ action: 'RIGHT_REVOKED' })]);
  });

  it('revokes an unknown right without error', async () => {
    await expect(provisioning.revoke('ent-unknown', 'evt-unknown-revoke')).resolves.toBeUndefined();
  });

  it('keeps working through a secret rotation: old and new signed, the partner moving from old to new', async () => {
    const [oldSecret] = sandbox.webhookSecrets as [string];
    const newSecret = generateWebhookSecret();
    const rotating = streamflix.provisioning(streamflix.createClient(clientOptions([oldSecret, newSecret])));
    try {
      expect(await rotating.provision(right('ent-p6'), 'evt-p6-1')).toEqual({ status: 'PENDING' });
      sandbox.setWebhookSecrets([newSecret]);
      await expect(rotating.revoke('ent-p6', 'evt-p6-2')).resolves.toBeUndefined();
      expect(await rotating.status('ent-p6')).toMatchObject({ status: 'REVOKED' });
    } finally {
      sandbox.setWebhookSecrets([oldSecret]);
    }
  });

  it('fails with DOWNSTREAM_SERVICE_ERROR naming the refusal when Streamflix does not know the signing secret, changing nothing', async () => {
    const stranger = streamflix.provisioning(streamflix.createClient(clientOptions([generateWebhookSecret()])));
    await expect(stranger.provision(right('ent-p7'), 'evt-p7')).rejects.toMatchObject({
      message: 'Partner service streamflix is unavailable: POST /webhooks/coalition (right.activate) answered HTTP 401 (BAD_SIGNATURE)',
      extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', service: 'streamflix' },
    });
    expect(await provisioning.status('ent-p7')).toEqual({ status: 'UNKNOWN' });
  });

  it('fails with DOWNSTREAM_SERVICE_ERROR naming streamflix while the partner is down', async () => {
    sandbox.setDown(true);
    try {
      await expect(provisioning.provision(right('ent-p8'), 'evt-p8')).rejects.toMatchObject({
        extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', service: 'streamflix' },
        message: expect.stringContaining('streamflix'),
      });
      await expect(provisioning.status('ent-p1')).rejects.toMatchObject({ extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', service: 'streamflix' } });
    } finally {
      sandbox.setDown(false);
    }
  });

  it('refuses to provision with a client given no webhook secrets, saying what to set', async () => {
    const unsigned = streamflix.provisioning(streamflix.createClient({ baseUrl: sandbox.url, apiKey: sandbox.apiKey }));
    await expect(unsigned.provision(right('ent-p9'), 'evt-p9')).rejects.toThrow(/set webhookSecrets/);
    expect(await unsigned.status('ent-p9')).toEqual({ status: 'UNKNOWN' });
  });
});
