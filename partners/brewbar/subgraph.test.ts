import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrewbarClient } from './client.js';
import { brewbar } from './index.js';
import { signingFetch, type RunningSandbox } from '../sdk/index.js';
import { startPartnerSubgraph, type RunningPartnerSubgraph } from '../sdk/hosting.js';
import { brewbarSandbox } from './sandbox-server.js';

/** The gateway's secret: the subgraph answers signed requests only. */
const SUBGRAPH_SECRET = 'a-test-subgraph-secret-of-32-characters-or-more';
const gatewayFetch = signingFetch(SUBGRAPH_SECRET);

let sandbox: RunningSandbox;
let client: BrewbarClient;
let subgraph: RunningPartnerSubgraph;
/** Codes exported from the sandbox and claimed for `ent-coffee`, oldest first. */
let olderCode: string;
let newerCode: string;

const COFFEE_QUERY = /* GraphQL */ `
  query ($representations: [_Any!]!, $city: String) {
    _entities(representations: $representations) {
      ... on Entitlement {
        id
        coffee {
          status
          voucher { code qrPayload scanned scannedAt }
          stores(city: $city, limit: 2) { id name address city openingHours }
        }
      }
    }
  }
`;

const VOUCHER_QUERY = /* GraphQL */ `
  query ($representations: [_Any!]!) {
    _entities(representations: $representations) { ... on Entitlement { id coffee { voucher { code qrPayload scanned scannedAt } } } }
  }
`;

interface GraphQLResponse {
  data?: { _entities: Array<{ id: string; coffee: Record<string, unknown> | null }> } | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, unknown> }>;
}

/** The representation the gateway sends for an entitlement, with what `coffee` requires (codes newest first). */
function entitlement(id: string, partnerId: string, codes: string[] = []) {
  return { __typename: 'Entitlement', id, benefit: { partner: { id: partnerId } }, vouchers: codes.map((code) => ({ code })) };
}

async function querySubgraph(
  variables: Record<string, unknown>,
  headers: Record<string, string> = {},
  query = COFFEE_QUERY,
): Promise<{ status: number; body: GraphQLResponse }> {
  const response = await gatewayFetch(subgraph.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as GraphQLResponse };
}

beforeAll(async () => {
  sandbox = await brewbarSandbox.start();
  client = brewbar.createClient({ baseUrl: sandbox.url, apiKey: sandbox.apiKey, timeoutMs: 1000 });
  subgraph = await startPartnerSubgraph(brewbar, { client, secret: SUBGRAPH_SECRET });

  await brewbar.provisioning(client).provision(
    {
      entitlementId: 'ent-coffee',
      memberPseudonym: 'psn-abc',
      benefitCode: 'COFFEE',
      validFrom: new Date('2026-03-01T00:00:00.000+08:00'),
      validUntil: new Date('2026-04-01T00:00:00.000+08:00'),
      quota: 10,
    },
    'evt-coffee',
  );
  [olderCode, newerCode] = (await client.exportPool(2)) as [string, string];
  // The member drank the older coffee already.
  expect(await client.scan(`BREWBAR1:${olderCode}`, { entitlementId: 'ent-coffee' })).toMatchObject({ outcome: 'SCANNED' });
});

afterAll(async () => {
  await subgraph?.close();
  await sandbox?.close();
});

describe('brewbar subgraph over HTTP', () => {
  it('serves at /graphql on loopback', () => {
    const url = new URL(subgraph.url);
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.pathname).toBe('/graphql');
  });

  it('resolves coffee with the newest claimed code, its BrewBar QR payload and whether it was scanned', async () => {
    const { status, body } = await querySubgraph({ representations: [entitlement('ent-coffee', 'brewbar', [newerCode, olderCode])], city: 'Shanghai' });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data!._entities).toEqual([
      {
        id: 'ent-coffee',
        coffee: {
          status: 'ACTIVE',
          voucher: { code: newerCode, qrPayload: `BREWBAR1:${newerCode}`, scanned: false, scannedAt: null },
          stores: [
            {
              id: 'bb-sh-xintiandi',
              name: 'BrewBar Xintiandi',
              address: '181 Taicang Road, Huangpu District',
              city: 'Shanghai',
              openingHours: 'Daily 07:00–22:00',
            },
            expect.objectContaining({ id: 'bb-sh-kerry', city: 'Shanghai' }),
          ],
        },
      },
    ]);
  });

  it('reads scanned from BrewBar once a barista scans the code', async () => {
    const onlyOlder = await querySubgraph({ representations: [entitlement('ent-coffee', 'brewbar', [olderCode])] }, {}, VOUCHER_QUERY);
    expect(onlyOlder.body.data!._entities[0]!.coffee!.voucher).toEqual({
      code: olderCode,
      qrPayload: `BREWBAR1:${olderCode}`,
      scanned: true,
      scannedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
    });

    const scan = await client.scan(newerCode, { entitlementId: 'ent-coffee' });
    const { body } = await querySubgraph({ representations: [entitlement('ent-coffee', 'brewbar', [newerCode, olderCode])] }, {}, VOUCHER_QUERY);
    expect(body.data!._entities[0]!.coffee!.voucher).toEqual({
      code: newerCode,
      qrPayload: `BREWBAR1:${newerCode}`,
      scanned: true,
      scannedAt: (scan as { scannedAt: Date }).scannedAt.toISOString(),
    });
  });

  it('reads scanned when the gateway asks for it through fragments', async () => {
    const query = /* GraphQL */ `
      query ($representations: [_Any!]!) {
        _entities(representations: $representations) { ... on Entitlement { coffee { voucher { ...Scan } } } }
      }
      fragment Scan on BrewbarVoucher { ... on BrewbarVoucher { scanned } }
    `;
    const { body } = await querySubgraph({ representations: [entitlement('ent-coffee', 'brewbar', [olderCode])] }, {}, query);
    expect(body.errors).toBeUndefined();
    expect(body.data!._entities).toEqual([{ coffee: { voucher: { scanned: true } } }]);
  });

  it('gives no voucher before the member claims one', async () => {
    const { body } = await querySubgraph({ representations: [entitlement('ent-coffee', 'brewbar', [])] }, {}, VOUCHER_QUERY);
    expect(body.errors).toBeUndefined();
    expect(body.data!._entities).toEqual([{ id: 'ent-coffee', coffee: { voucher: null } }]);
  });

  it('returns null coffee for an entitlement of another partner, without calling brewbar', async () => {
    sandbox.setDown(true);
    try {
      const { body } = await querySubgraph({ representations: [entitlement('ent-wash', 'sparkwash'), entitlement('ent-coffee', 'streamflix', [newerCode])] });
      expect(body.errors).toBeUndefined();
      expect(body.data!._entities).toEqual([
        { id: 'ent-wash', coffee: null },
        { id: 'ent-coffee', coffee: null },
      ]);
    } finally {
      sandbox.setDown(false);
    }
  });

  it('localizes store names, addresses, cities and hours for Accept-Language zh-CN', async () => {
    const { body } = await querySubgraph(
      { representations: [entitlement('ent-coffee', 'brewbar')], city: '北京' },
      { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8' },
    );
    expect(body.errors).toBeUndefined();
    expect(body.data!._entities[0]!.coffee!.stores).toEqual([
      { id: 'bb-bj-taikooli', name: '醇吧咖啡 三里屯太古里店', address: '朝阳区三里屯路19号', city: '北京', openingHours: '每天 07:00–22:00' },
      { id: 'bb-bj-wangfujing', name: '醇吧咖啡 王府井店', address: '东城区王府井大街138号', city: '北京', openingHours: '周一至周五 07:00–20:00，周末 09:00–18:00' },
    ]);
  });

  it('shows an allowance brewbar does not have yet as NOT_PROVISIONED', async () => {
    const { body } = await querySubgraph({ representations: [entitlement('ent-not-yet', 'brewbar')] });
    expect(body.errors).toBeUndefined();
    expect(body.data!._entities[0]!.coffee).toMatchObject({ status: 'NOT_PROVISIONED', voucher: null });
  });

  it('fails what needs brewbar with DOWNSTREAM_SERVICE_ERROR naming brewbar while the partner is down', async () => {
    sandbox.setDown(true);
    try {
      const { status, body } = await querySubgraph({ representations: [entitlement('ent-coffee', 'brewbar', [newerCode])] }, {}, VOUCHER_QUERY);
      expect(status).toBe(200);
      expect(body.data!._entities).toEqual([{ id: 'ent-coffee', coffee: { voucher: null } }]);
      expect(body.errors).toEqual([
        expect.objectContaining({
          message: 'Partner service brewbar is unavailable: GET /v1/codes/:code answered HTTP 503',
          path: ['_entities', 0, 'coffee', 'voucher'],
          extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', service: 'brewbar' },
        }),
      ]);

      const storesQuery = /* GraphQL */ `
        query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Entitlement { coffee { stores { id } } } } }
      `;
      const stores = await querySubgraph({ representations: [entitlement('ent-coffee', 'brewbar')] }, {}, storesQuery);
      expect(stores.body.data!._entities).toEqual([{ coffee: null }]);
      expect(stores.body.errors).toEqual([
        expect.objectContaining({
          message: 'Partner service brewbar is unavailable: GET /v1/stores answered HTTP 503',
          path: ['_entities', 0, 'coffee', 'stores'],
          extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', service: 'brewbar' },
        }),
      ]);
    } finally {
      sandbox.setDown(false);
    }
  });

  it('still shows the code and its QR payload while brewbar is down, since they need no call', async () => {
    sandbox.setDown(true);
    try {
      const query = /* GraphQL */ `
        query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Entitlement { coffee { voucher { code qrPayload } } } } }
      `;
      const { body } = await querySubgraph({ representations: [entitlement('ent-coffee', 'brewbar', [newerCode])] }, {}, query);
      expect(body.errors).toBeUndefined();
      expect(body.data!._entities).toEqual([{ coffee: { voucher: { code: newerCode, qrPayload: `BREWBAR1:${newerCode}` } } }]);
    } finally {
      sandbox.setDown(false);
    }
  });

  it('rejects a stores limit out of range with BAD_USER_INPUT', async () => {
    const query = /* GraphQL */ `
      query ($representations: [_Any!]!) {
        _entities(representations: $representations) { ... on Entitlement { coffee { stores(limit: 500) { id } } } }
      }
    `;
    const { body } = await querySubgraph({ representations: [entitlement('ent-coffee', 'brewbar')] }, {}, query);
    expect(body.errors).toEqual([
      expect.objectContaining({ message: 'Invalid input: limit: must be from 1 to 50', extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }),
    ]);
  });

  it('answers 404 off /graphql', async () => {
    const response = await fetch(new URL('/other', subgraph.url));
    expect(response.status).toBe(404);
  });
});
