import { beforeAll, describe, expect, it } from 'vitest';
import { provisioningEffectsOf, useSandbox } from '../testing/sandbox.js';
import { sparkwash } from './index.js';
import { type PartnerProvisioning, type PartnerRight } from '../sdk/index.js';
import { sparkwashSandbox } from './sandbox-server.js';

const sandbox = useSandbox(() => sparkwashSandbox.start());
let provisioning: PartnerProvisioning;

beforeAll(() => {
  provisioning = sparkwash.provisioning(sparkwash.createClient({ baseUrl: sandbox.url, apiKey: sandbox.apiKey }));
});

function right(entitlementId: string): PartnerRight {
  return {
    entitlementId,
    memberPseudonym: `psn-${entitlementId}`,
    benefitCode: 'CAR_WASH',
    validFrom: new Date('2026-01-01T00:00:00.000Z'),
    validUntil: new Date('2027-01-01T00:00:00.000Z'),
    quota: 4,
  };
}

const effectsOf = (eventId: string) => provisioningEffectsOf(sandbox, eventId);

describe('sparkwash provisioning', () => {
  it('activates a right once when the same event is delivered twice', async () => {
    expect(await provisioning.provision(right('ent-p1'), 'evt-p1')).toEqual({ status: 'ACTIVE' });
    expect(await provisioning.provision(right('ent-p1'), 'evt-p1')).toEqual({ status: 'ACTIVE' });
    expect(await effectsOf('evt-p1')).toHaveLength(1);
  });

  it('reads ACTIVE with the partner-side validUntil after provisioning', async () => {
    await provisioning.provision(right('ent-p2'), 'evt-p2');
    expect(await provisioning.status('ent-p2')).toEqual({ status: 'ACTIVE', validUntil: new Date('2027-01-01T00:00:00.000Z') });
  });

  it('reads UNKNOWN for a right the partner never received', async () => {
    expect(await provisioning.status('ent-never')).toEqual({ status: 'UNKNOWN' });
  });

  it('revokes a right once, whatever the retries', async () => {
    await provisioning.provision(right('ent-p3'), 'evt-p3');
    await provisioning.revoke('ent-p3', 'evt-p3-revoke');
    await provisioning.revoke('ent-p3', 'evt-p3-revoke');
    expect(await provisioning.status('ent-p3')).toMatchObject({ status: 'REVOKED' });
    expect(await effectsOf('evt-p3-revoke')).toHaveLength(1);
  });

  it('fails with DOWNSTREAM_SERVICE_ERROR naming sparkwash while the partner is down', async () => {
    sandbox.setDown(true);
    try {
      await expect(provisioning.provision(right('ent-p4'), 'evt-p4')).rejects.toMatchObject({
        extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', service: 'sparkwash' },
        message: expect.stringContaining('sparkwash'),
      });
    } finally {
      sandbox.setDown(false);
    }
  });
});
