import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SkymilesClient } from './client.js';
import { skymiles } from './index.js';
import { startSkymilesSandbox } from './sandbox-server.js';
import { signingFetch, type RunningSandbox } from '../sdk/index.js';
import { startPartnerSubgraph, type RunningPartnerSubgraph } from '../sdk/hosting.js';

/** The gateway's secret: the subgraph answers signed requests only. */
const SUBGRAPH_SECRET = 'a-test-subgraph-secret-of-32-characters-or-more';
const gatewayFetch = signingFetch(SUBGRAPH_SECRET);

const CONFIRM_AFTER_MS = 50;

let sandbox: RunningSandbox;
let client: SkymilesClient;
let subgraph: RunningPartnerSubgraph;

const MILES_QUERY = /* GraphQL */ `
  query ($representations: [_Any!]!) {
    _entities(representations: $representations) {
      ... on Entitlement {
        id
        milesConversion { status miles reference creditedAt }
      }
    }
  }
`;

interface GraphQLResponse {
  data?: { _entities: Array<{ id: string; milesConversion: Record<string, unknown> | null }> } | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, unknown> }>;
}

/** The representation the gateway sends for an entitlement, with what `milesConversion` requires. */
function entitlement(id: string, partnerId: string) {
  return { __typename: 'Entitlement', id, benefit: { partner: { id: partnerId } } };
}

async function querySubgraph(representations: unknown[]): Promise<{ status: number; body: GraphQLResponse }> {
  const response = await gatewayFetch(subgraph.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: MILES_QUERY, variables: { representations } }),
  });
  return { status: response.status, body: (await response.json()) as GraphQLResponse };
}

function provision(entitlementId: string, memberPseudonym = `psn-${entitlementId}`) {
  return skymiles.provisioning(client).provision(
    {
      entitlementId,
      memberPseudonym,
      benefitCode: 'SKYMILES_BONUS',
      validFrom: new Date('2026-01-01T00:00:00.000Z'),
      validUntil: new Date('2027-01-01T00:00:00.000Z'),
      quota: 2000,
    },
    `evt-${entitlementId}`,
  );
}

async function settled(entitlementId: string): Promise<void> {
  await vi.waitFor(async () => expect((await skymiles.provisioning(client).status(entitlementId)).status).not.toBe('PENDING'), {
    timeout: 2000,
    interval: 20,
  });
}

beforeAll(async () => {
  sandbox = await startSkymilesSandbox({ confirmAfterMs: CONFIRM_AFTER_MS, rejectPseudonyms: ['psn-frozen-account'] });
  client = skymiles.createClient({ baseUrl: sandbox.url, apiKey: sandbox.apiKey, timeoutMs: 1000 });
  subgraph = await startPartnerSubgraph(skymiles, { client, secret: SUBGRAPH_SECRET });
  await provision('ent-miles');
  await provision('ent-rejected', 'psn-frozen-account');
  await Promise.all([settled('ent-miles'), settled('ent-rejected')]);
});

afterAll(async () => {
  await subgraph?.close();
  await sandbox?.close();
});

describe('skymiles subgraph over HTTP', () => {
  it('serves at /graphql on loopback', () => {
    const url = new URL(subgraph.url);
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.pathname).toBe('/graphql');
  });

  it('resolves milesConversion of a credited skymiles entitlement as CREDITED with its miles and reference', async () => {
    const { status, body } = await querySubgraph([entitlement('ent-miles', 'skymiles')]);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const conversion = await client.getConversion('ent-miles');
    expect(body.data!._entities).toEqual([
      {
        id: 'ent-miles',
        milesConversion: {
          status: 'CREDITED',
          miles: 2000,
          reference: expect.stringMatching(/^SKC[0-9A-F]{10}$/),
          creditedAt: conversion!.creditedAt!.toISOString(),
        },
      },
    ]);
  });

  it('shows a conversion SkyMiles has not credited yet as PENDING, without reference', async () => {
    const slow = await startSkymilesSandbox({ confirmAfterMs: 10_000 });
    const slowClient = skymiles.createClient({ baseUrl: slow.url, apiKey: slow.apiKey });
    const slowSubgraph = await startPartnerSubgraph(skymiles, { client: slowClient, secret: SUBGRAPH_SECRET });
    try {
      await skymiles.provisioning(slowClient).provision(
        { entitlementId: 'ent-slow', memberPseudonym: 'psn-slow', benefitCode: 'SKYMILES_BONUS', validFrom: new Date(), validUntil: new Date('2027-01-01T00:00:00.000Z'), quota: 2000 },
        'evt-slow',
      );
      const response = await gatewayFetch(slowSubgraph.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: MILES_QUERY, variables: { representations: [entitlement('ent-slow', 'skymiles')] } }),
      });
      const body = (await response.json()) as GraphQLResponse;
      expect(body.data!._entities[0]!.milesConversion).toEqual({ status: 'PENDING', miles: 2000, reference: null, creditedAt: null });
    } finally {
      await slowSubgraph.close();
      await slow.close();
    }
  });

  it('shows a conversion SkyMiles rejected as REJECTED', async () => {
    const { body } = await querySubgraph([entitlement('ent-rejected', 'skymiles')]);
    expect(body.errors).toBeUndefined();
    expect(body.data!._entities[0]!.milesConversion).toEqual({ status: 'REJECTED', miles: 2000, reference: null, creditedAt: null });
  });

  it('shows a conversion SkyMiles was never asked for as NOT_REQUESTED', async () => {
    const { body } = await querySubgraph([entitlement('ent-not-yet', 'skymiles')]);
    expect(body.errors).toBeUndefined();
    expect(body.data!._entities[0]!.milesConversion).toEqual({ status: 'NOT_REQUESTED', miles: null, reference: null, creditedAt: null });
  });

  it('returns null milesConversion for an entitlement of another partner, without calling skymiles', async () => {
    sandbox.setDown(true);
    try {
      const { body } = await querySubgraph([entitlement('ent-stream', 'streamflix'), entitlement('ent-miles', 'sparkwash')]);
      expect(body.errors).toBeUndefined();
      expect(body.data!._entities).toEqual([
        { id: 'ent-stream', milesConversion: null },
        { id: 'ent-miles', milesConversion: null },
      ]);
    } finally {
      sandbox.setDown(false);
    }
  });

  it('fails milesConversion with DOWNSTREAM_SERVICE_ERROR naming skymiles while the partner is down', async () => {
    sandbox.setDown(true);
    try {
      const { status, body } = await querySubgraph([entitlement('ent-miles', 'skymiles')]);
      expect(status).toBe(200);
      expect(body.data!._entities).toEqual([{ id: 'ent-miles', milesConversion: null }]);
      expect(body.errors).toEqual([
        expect.objectContaining({
          message: 'Partner service skymiles is unavailable: GET /v1/conversions/:conversionId answered HTTP 503',
          path: ['_entities', 0, 'milesConversion'],
          extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', service: 'skymiles' },
        }),
      ]);
    } finally {
      sandbox.setDown(false);
    }
  });
});
