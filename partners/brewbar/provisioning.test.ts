import { beforeAll, describe, expect, it } from 'vitest';
import { provisioningEffectsOf, useSandbox } from '../testing/sandbox.js';
import { brewbar } from './index.js';
import { type PartnerProvisioning, type PartnerRight } from '../sdk/index.js';
import { brewbarSandbox } from './sandbox-server.js';

const sandbox = useSandbox(() => brewbarSandbox.start());
let provisioning: PartnerProvisioning;

beforeAll(() => {
  provisioning = brewbar.provisioning(brewbar.createClient({ baseUrl: sandbox.url, apiKey: sandbox.apiKey }));
});

function right(entitlementId: string): PartnerRight {
  return {
    entitlementId,
    memberPseudonym: `psn-${entitlementId}`,
    benefitCode: 'COFFEE',
    validFrom: new Date('2026-03-01T00:00:00.000+08:00'),
    validUntil: new Date('2026-04-01T00:00:00.000+08:00'),
    quota: 10,
  };
}

const effectsOf = (eventId: string) => provisioningEffectsOf(sandbox, eventId);

describe('brewbar provisioning', () => {
  it('registers an allowance once when the same event is delivered twice, ACTIVE at once', async () => {
    expect(await provisioning.provision(right('ent-p1'), 'evt-p1')).toEqual({ status: 'ACTIVE' });
    expect(await provisioning.provision(right('ent-p1'), 'evt-p1')).toEqual({ status: 'ACTIVE' });
    expect(await effectsOf('evt-p1')).toEqual([expect.objectContaining({ action: 'MEMBER_REGISTERED', entitlementId: 'ent-p1' })]);
  });

  it('reads ACTIVE with the partner-side validUntil after provisioning', async () => {
    await provisioning.provision(right('ent-p2'), 'evt-p2');
    expect(await provisioning.status('ent-p2')).toEqual({ status: 'ACTIVE', validUntil: new Date('2026-03-31T16:00:00.000Z') });
  });

  it('reads UNKNOWN for a right the partner never received', async () => {
    expect(await provisioning.status('ent-never')).toEqual({ status: 'UNKNOWN' });
  });

  it('revokes a right once, whatever the retries, and provisions it again with a new event', async () => {
    await provisioning.provision(right('ent-p3'), 'evt-p3');
    await provisioning.revoke('ent-p3', 'evt-p3-revoke');
    await provisioning.revoke('ent-p3', 'evt-p3-revoke');
    expect(await provisioning.status('ent-p3')).toMatchObject({ status: 'REVOKED' });
    expect(await effectsOf('evt-p3-revoke')).toHaveLength(1);

    expect(await provisioning.provision(right('ent-p3'), 'evt-p3-again')).toEqual({ status: 'ACTIVE' });
    expect(await provisioning.status('ent-p3')).toMatchObject({ status: 'ACTIVE' });
  });

  it('revokes a right BrewBar never received without failing', async () => {
    await expect(provisioning.revoke('ent-never', 'evt-never-revoke')).resolves.toBeUndefined();
  });

  it('fails with DOWNSTREAM_SERVICE_ERROR naming brewbar while the partner is down', async () => {
    sandbox.setDown(true);
    try {
      await expect(provisioning.provision(right('ent-p4'), 'evt-p4')).rejects.toMatchObject({
        extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', service: 'brewbar' },
        message: expect.stringContaining('brewbar'),
      });
    } finally {
      sandbox.setDown(false);
    }
  });
});
