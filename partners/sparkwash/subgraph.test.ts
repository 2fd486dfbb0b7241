import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sparkwash } from './index.js';
import { signingFetch, type RunningSandbox } from '../sdk/index.js';
import { startPartnerSubgraph, type RunningPartnerSubgraph } from '../sdk/hosting.js';
import { sparkwashSandbox } from './sandbox-server.js';

/** The gateway's secret: the subgraph answers signed requests only. */
const SUBGRAPH_SECRET = 'a-test-subgraph-secret-of-32-characters-or-more';
const gatewayFetch = signingFetch(SUBGRAPH_SECRET);

let sandbox: RunningSandbox;
let subgraph: RunningPartnerSubgraph;

const CAR_WASH_QUERY = /* GraphQL */ `
  query ($representations: [_Any!]!, $city: String) {
    _entities(representations: $representations) {
      ... on Entitlement {
        id
        carWash {
          memberNumber
          status
          validUntil
          sites(city: $city, limit: 2) { id name address city openingHours }
          bookings { id scheduledAt status site { id name } }
        }
      }
    }
  }
`;

interface GraphQLResponse {
  data?: { _entities: Array<{ id: string; carWash: Record<string, unknown> | null }> } | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, unknown> }>;
}

/** The representation the gateway sends for an entitlement, with what `carWash` requires. */
function entitlement(id: string, partnerId: string) {
  return { __typename: 'Entitlement', id, benefit: { partner: { id: partnerId } } };
}

async function querySubgraph(
  variables: Record<string, unknown>,
  headers: Record<string, string> = {},
  query = CAR_WASH_QUERY,
): Promise<{ status: number; body: GraphQLResponse }> {
  const response = await gatewayFetch(subgraph.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as GraphQLResponse };
}

async function sandboxCall(path: string, method: string, body?: unknown): Promise<Response> {
  const response = await fetch(sandbox.url + path, {
    method,
    headers: { authorization: `Bearer ${sandbox.apiKey}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(response.ok).toBe(true);
  return response;
}

beforeAll(async () => {
  sandbox = await sparkwashSandbox.start();
  const client = sparkwash.createClient({ baseUrl: sandbox.url, apiKey: sandbox.apiKey, timeoutMs: 1000 });
  subgraph = await startPartnerSubgraph(sparkwash, { client, secret: SUBGRAPH_SECRET });

  await sparkwash.provisioning(client).provision(
    {
      entitlementId: 'ent-wash',
      memberPseudonym: 'psn-abc',
      benefitCode: 'CAR_WASH',
      validFrom: new Date('2026-01-01T00:00:00.000Z'),
      validUntil: new Date('2027-01-01T00:00:00.000Z'),
      quota: 4,
    },
    'evt-wash',
  );
  await sandboxCall('/v1/passes/ent-wash/bookings', 'POST', { siteId: 'sw-sh-lujiazui', scheduledAt: '2026-03-07T01:30:00.000Z' });
  await sandboxCall('/v1/passes/ent-wash/bookings', 'POST', { siteId: 'sw-bj-sanlitun', scheduledAt: '2026-04-11T06:00:00.000Z' });
});

afterAll(async () => {
  await subgraph?.close();
  await sandbox?.close();
});

describe('sparkwash subgraph over HTTP', () => {
  it('serves at /graphql on loopback', () => {
    const url = new URL(subgraph.url);
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.pathname).toBe('/graphql');
  });

  it('resolves carWash of a sparkwash entitlement from the partner API', async () => {
    const { status, body } = await querySubgraph({ representations: [entitlement('ent-wash', 'sparkwash')], city: 'Shanghai' });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const [resolved] = body.data!._entities;
    expect(resolved).toEqual({
      id: 'ent-wash',
      carWash: {
        memberNumber: expect.stringMatching(/^SW\d+$/),
        status: 'ACTIVE',
        validUntil: '2027-01-01T00:00:00.000Z',
        sites: [
          {
            id: 'sw-sh-jingan',
            name: 'SparkWash Jing’an Temple',
            address: '1699 West Nanjing Road, Jing’an District',
            city: 'Shanghai',
            openingHours: 'Daily 08:00–20:00',
          },
          expect.objectContaining({ id: 'sw-sh-lujiazui', city: 'Shanghai' }),
        ],
        bookings: [
          { id: expect.any(String), scheduledAt: '2026-03-07T01:30:00.000Z', status: 'CONFIRMED', site: { id: 'sw-sh-lujiazui', name: 'SparkWash Lujiazui' } },
          { id: expect.any(String), scheduledAt: '2026-04-11T06:00:00.000Z', status: 'CONFIRMED', site: { id: 'sw-bj-sanlitun', name: 'SparkWash Sanlitun' } },
        ],
      },
    });
  });

  it('returns null carWash for an entitlement of another partner, without calling sparkwash', async () => {
    sandbox.setDown(true);
    try {
      const { body } = await querySubgraph({ representations: [entitlement('ent-stream', 'streamflix'), entitlement('ent-wash', 'brewbar')] });
      expect(body.errors).toBeUndefined();
      expect(body.data!._entities).toEqual([
        { id: 'ent-stream', carWash: null },
        { id: 'ent-wash', carWash: null },
      ]);
    } finally {
      sandbox.setDown(false);
    }
  });

  it('localizes site names, addresses and cities for Accept-Language zh-CN', async () => {
    const { body } = await querySubgraph(
      { representations: [entitlement('ent-wash', 'sparkwash')], city: '北京' },
      { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8' },
    );
    expect(body.errors).toBeUndefined();
    const carWash = body.data!._entities[0]!.carWash!;
    expect(carWash.sites).toEqual([
      { id: 'sw-bj-sanlitun', name: '闪亮洗车 三里屯店', address: '朝阳区三里屯路19号', city: '北京', openingHours: '每天 08:00–20:00' },
      { id: 'sw-bj-guomao', name: '闪亮洗车 国贸店', address: '朝阳区建国门外大街1号', city: '北京', openingHours: '每天 07:00–21:00' },
    ]);
    expect(carWash.bookings).toEqual([
      expect.objectContaining({ site: { id: 'sw-sh-lujiazui', name: '闪亮洗车 陆家嘴店' } }),
      expect.objectContaining({ site: { id: 'sw-bj-sanlitun', name: '闪亮洗车 三里屯店' } }),
    ]);
  });

  it('shows a pass sparkwash does not have yet as NOT_PROVISIONED with no bookings', async () => {
    const { body } = await querySubgraph({ representations: [entitlement('ent-not-yet', 'sparkwash')] });
    expect(body.errors).toBeUndefined();
    expect(body.data!._entities[0]!.carWash).toMatchObject({ memberNumber: null, status: 'NOT_PROVISIONED', validUntil: null, bookings: [] });
  });

  it('fails carWash with DOWNSTREAM_SERVICE_ERROR naming sparkwash while the partner is down', async () => {
    sandbox.setDown(true);
    try {
      const { status, body } = await querySubgraph({ representations: [entitlement('ent-wash', 'sparkwash')] });
      expect(status).toBe(200);
      expect(body.data!._entities).toEqual([{ id: 'ent-wash', carWash: null }]);
      expect(body.errors).toEqual([
        expect.objectContaining({
          message: 'Partner service sparkwash is unavailable: GET /v1/passes/:entitlementId answered HTTP 503',
          path: ['_entities', 0, 'carWash'],
          extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', service: 'sparkwash' },
        }),
      ]);
    } finally {
      sandbox.setDown(false);
    }
  });

  it('rejects a sites limit out of range with BAD_USER_INPUT', async () => {
    const query = /* GraphQL */ `
      query ($representations: [_Any!]!) {
        _entities(representations: $representations) { ... on Entitlement { carWash { sites(limit: 500) { id } } } }
      }
    `;
    const { body } = await querySubgraph({ representations: [entitlement('ent-wash', 'sparkwash')] }, {}, query);
    expect(body.errors).toEqual([
      expect.objectContaining({ message: 'Invalid input: limit: must be from 1 to 50', extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }),
    ]);
  });

  it('answers 404 off /graphql', async () => {
    const response = await fetch(new URL('/other', subgraph.url));
    expect(response.status).toBe(404);
  });
});
