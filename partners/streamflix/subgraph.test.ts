import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStreamflixClient, streamflix } from './index.js';
import { startStreamflixSandbox, type RunningStreamflixSandbox } from './sandbox-server.js';
import { signingFetch } from '../sdk/index.js';
import { startPartnerSubgraph, type RunningPartnerSubgraph } from '../sdk/hosting.js';

/** The gateway's secret: the subgraph answers signed requests only. */
const SUBGRAPH_SECRET = 'a-test-subgraph-secret-of-32-characters-or-more';
const gatewayFetch = signingFetch(SUBGRAPH_SECRET);

let sandbox: RunningStreamflixSandbox;
let subgraph: RunningPartnerSubgraph;

const STREAMING_ACCOUNT_QUERY = /* GraphQL */ `
  query ($representations: [_Any!]!) {
    _entities(representations: $representations) {
      ... on Entitlement {
        id
        streamingAccount { status activeUntil activationLink }
      }
    }
  }
`;

interface StreamingAccount {
  status: string;
  activeUntil: string | null;
  activationLink: string | null;
}

interface GraphQLResponse {
  data?: { _entities: Array<{ id: string; streamingAccount: StreamingAccount | null }> } | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, unknown> }>;
}

/** The representation the gateway sends for an entitlement, with what `streamingAccount` requires. */
function entitlement(id: string, partnerId: string) {
  return { __typename: 'Entitlement', id, benefit: { partner: { id: partnerId } } };
}

async function querySubgraph(representations: unknown[]): Promise<{ status: number; body: GraphQLResponse }> {
  const response = await gatewayFetch(subgraph.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': 'req-streamflix-test' },
    body: JSON.stringify({ query: STREAMING_ACCOUNT_QUERY, variables: { representations } }),
  });
  return { status: response.status, body: (await response.json()) as GraphQLResponse };
}

async function streamingAccountOf(entitlementId: string): Promise<StreamingAccount | null> {
  const { body } = await querySubgraph([entitlement(entitlementId, 'streamflix')]);
  expect(body.errors).toBeUndefined();
  return body.data!._entities[0]!.streamingAccount;
}

beforeAll(async () => {
  sandbox = await startStreamflixSandbox();
  const client = createStreamflixClient({ baseUrl: sandbox.url, apiKey: sandbox.apiKey, timeoutMs: 1000, webhookSecrets: sandbox.webhookSecrets });
  subgraph = await startPartnerSubgraph(streamflix, { client, secret: SUBGRAPH_SECRET });

  const provisioning = streamflix.provisioning(client);
  const right = (entitlementId: string) => ({
    entitlementId,
    memberPseudonym: `psn-${entitlementId}`,
    benefitCode: 'STREAMING_VIP',
    validFrom: new Date('2026-01-01T00:00:00.000Z'),
    validUntil: new Date('2027-01-01T00:00:00.000Z'),
    quota: null,
  });
  await provisioning.provision(right('ent-pending'), 'evt-pending');
  await provisioning.provision(right('ent-link'), 'evt-link');
  await provisioning.provision(right('ent-revoked'), 'evt-revoked');
  await provisioning.revoke('ent-revoked', 'evt-revoked-revoke');
});

afterAll(async () => {
  await subgraph?.close();
  await sandbox?.close();
});

describe('streamflix subgraph', () => {
  it('resolves streamingAccount to null for entitlements of other partners, without calling streamflix', async () => {
    sandbox.setDown(true);
    try {
      const { body } = await querySubgraph([entitlement('ent-wash', 'sparkwash'), { __typename: 'Entitlement', id: 'ent-coffee', benefit: { partner: { id: 'brewbar' } } }]);
      expect(body.errors).toBeUndefined();
      expect(body.data!._entities).toEqual([
        { id: 'ent-wash', streamingAccount: null },
        { id: 'ent-coffee', streamingAccount: null },
      ]);
    } finally {
      sandbox.setDown(false);
    }
  });

  it('shows a right streamflix does not have yet as NOT_PROVISIONED', async () => {
    expect(await streamingAccountOf('ent-not-yet')).toEqual({ status: 'NOT_PROVISIONED', activeUntil: null, activationLink: null });
  });

  it('shows a provisioned right as PENDING_LINK with the activation link carrying its one-time code', async () => {
    const account = await streamingAccountOf('ent-pending');
    expect(account).toEqual({
      status: 'PENDING_LINK',
      activeUntil: null,
      activationLink: expect.stringMatching(new RegExp(`^${sandbox.url}/activate\\?entitlement=ent-pending&code=[\\w-]+$`)),
    });
  });

  it('shows ACTIVE until validUntil, and no more link, once the member followed the link and linked an account', async () => {
    const { activationLink } = (await streamingAccountOf('ent-link'))!;
    const page = await fetch(activationLink!);
    expect(page.status).toBe(200);
    const form = new URLSearchParams({ streamflixUser: 'neo' });
    for (const [, name, value] of (await page.text()).matchAll(/<input type="hidden" name="(\w+)" value="([^"]*)">/g)) form.set(name!, value!);
    const linked = await fetch(new URL('/activate', activationLink!), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    expect(linked.status).toBe(200);

    expect(await streamingAccountOf('ent-link')).toEqual({ status: 'ACTIVE', activeUntil: '2027-01-01T00:00:00.000Z', activationLink: null });
  });

  it('shows a revoked right as REVOKED without a link', async () => {
    expect(await streamingAccountOf('ent-revoked')).toEqual({ status: 'REVOKED', activeUntil: null, activationLink: null });
  });

  it('fails streamingAccount with DOWNSTREAM_SERVICE_ERROR naming streamflix while the partner is down', async () => {
    sandbox.setDown(true);
    try {
      const { status, body } = await querySubgraph([entitlement('ent-pending', 'streamflix')]);
      expect(status).toBe(200);
      expect(body.data!._entities).toEqual([{ id: 'ent-pending', streamingAccount: null }]);
      expect(body.errors).toEqual([
        expect.objectContaining({
          message: 'Partner service streamflix is unavailable: GET /v1/rights/:entitlementId answered HTTP 503',
          path: ['_entities', 0, 'streamingAccount'],
          extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', service: 'streamflix' },
        }),
      ]);
    } finally {
      sandbox.setDown(false);
    }
  });
});
