import { Lexer, Source, TokenKind } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN_PARTNERS } from '../src/built-in-partners.js';
import { startTestApp, type GraphQLResponse, type TestApp } from './support/app.js';

// Small limits so each one is easy to reach; every query below stays within the others.
const LIMITS = {
  GRAPHQL_MAX_DEPTH: '4',
  GRAPHQL_MAX_ALIASES: '3',
  GRAPHQL_MAX_TOKENS: '60',
  GRAPHQL_MAX_DIRECTIVES: '2',
  GRAPHQL_MAX_COST: '86',
};

let t: TestApp;
const statements: string[] = [];

beforeAll(async () => {
  t = await startTestApp({ env: LIMITS, onQuery: (sql) => statements.push(sql) });
});
afterAll(async () => {
  await t?.close();
});

const fields = (name: string, n: number) => Array.from({ length: n }, () => name).join(' ');

function tokenCount(query: string): number {
  const lexer = new Lexer(new Source(query));
  let count = 0;
  while (lexer.advance().kind !== TokenKind.EOF) count++;
  return count;
}

/** Runs `query` and says whether the membership subgraph was asked anything (it runs SQL for plans). */
async function run(query: string): Promise<GraphQLResponse<any> & { reachedSubgraph: boolean }> {
  statements.length = 0;
  const res = await t.graphql(query);
  return { ...res, reachedSubgraph: statements.length > 0 };
}

function expectRefused(res: Awaited<ReturnType<typeof run>>, limit: string, max: number, message: RegExp): void {
  expect(res.errors).toEqual([
    expect.objectContaining({ message: expect.stringMatching(message), extensions: expect.objectContaining({ code: 'QUERY_TOO_COMPLEX', limit, max }) }),
  ]);
  expect(res.reachedSubgraph).toBe(false);
}

function expectServed(res: Awaited<ReturnType<typeof run>>): void {
  expect(res.errors).toBeUndefined();
  expect(res.data.plans ?? res.data.a).toEqual(expect.arrayContaining([expect.objectContaining({})]));
  expect(res.reachedSubgraph).toBe(true);
}

describe('GraphQL operation limits', () => {
  it('serves an operation 4 fields deep and refuses one 5 deep with QUERY_TOO_COMPLEX', async () => {
    expectServed(await run('{ plans { benefits { benefit { code } } } }'));
    expectRefused(await run('{ plans { benefits { benefit { partner { id } } } } }'), 'depth', 4, /^Operation refused, too complex: Query depth limit of 4 exceeded, found 5\.$/);
  });

  it('does not count fragments as a level of depth', async () => {
    expectServed(await run('{ plans { ... on Plan { benefits { ... on PlanBenefit { benefit { code } } } } } }'));
  });

  it('serves 3 aliases and refuses 4', async () => {
    expectServed(await run('{ a: plans { code } b: plans { code } c: plans { code } }'));
    expectRefused(await run('{ a: plans { code } b: plans { code } c: plans { code } d: plans { code } }'), 'aliases', 3, /Aliases limit of 3 exceeded, found 4\.$/);
  });

  it('serves 60 tokens and refuses 61', async () => {
    const atLimit = `{ plans { ${fields('code', 55)} } }`;
    const pastLimit = `{ plans { ${fields('code', 56)} } }`;
    expect([tokenCount(atLimit), tokenCount(pastLimit)]).toEqual([60, 61]);
    expectServed(await run(atLimit));
    expectRefused(await run(pastLimit), 'tokens', 60, /Token limit of 60 exceeded\.$/);
  });

  it('serves 2 directives and refuses 3', async () => {
    expectServed(await run('{ plans @include(if: true) { code @skip(if: false) } }'));
    expectRefused(
      await run('{ plans @include(if: true) { code @skip(if: false) name @skip(if: false) } }'),
      'directives',
      2,
      /Directives limit of 2 exceeded, found 3\.$/,
    );
  });

  it('serves an operation costing 86 and refuses one costing 87.5', async () => {
    // An object costs 2, a scalar 1, and each level down weighs ×1.5: 2 + 1.5·(2 + 1.5·(2 + 1.5·20)) + 1.5·6 = 86.
    const cost = (plansScalars: number) => `{ plans { ${fields('code', plansScalars)} benefits { benefit { ${fields('code', 20)} } } } }`;
    expectServed(await run(cost(6)));
    expectRefused(await run(cost(7)), 'cost', 86, /Query Cost limit of 86 exceeded, found 87\.5\.$/);
  });

  it('reports every limit an operation breaks at once', async () => {
    const res = await run('{ a: plans { code } b: plans { code } c: plans { code } d: plans { benefits { benefit { partner { id } } } } }');
    expect(res.errors?.map((e) => e.extensions?.limit)).toEqual(expect.arrayContaining(['depth', 'aliases']));
    expect(res.errors?.every((e) => e.extensions?.code === 'QUERY_TOO_COMPLEX')).toBe(true);
    expect(res.reachedSubgraph).toBe(false);
  });
});

describe('requests the gateway refuses', () => {
  // Regression (fuzzer, FUZZ_SEED=1453056086): variables nested 5,000 levels deep overflowed
  // the stack of the gateway's checks (INTERNAL_SERVER_ERROR) and of the subgraph behind it.
  it('refuses a body nested deeper than 64 levels with 400 BAD_REQUEST, before any check or subgraph sees it', async () => {
    const nested = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
    const query = `query($v0: DateTimeISO!) { partnerSettlement(from: $v0, to: "2026-01-01T00:00:00Z") { to } }`;
    for (const depth of [65, 5_000, 50_000]) {
      const response = await fetch(t.app.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: `{"query": ${JSON.stringify(query)}, "variables": {"v0": ${nested(depth)}}}`,
      });
      expect(response.status, `depth ${depth}`).toBe(400);
      expect(((await response.json()) as GraphQLResponse<unknown>).errors).toEqual([
        { message: 'Request body nested deeper than 64 levels', extensions: { code: 'BAD_REQUEST' } },
      ]);
    }
    // Strings are not nesting: brackets inside them do not count.
    const inString = await t.graphql(`mutation($x: String!) { subscribe(planCode: $x, idempotencyKey: "k") { id } }`, { x: '['.repeat(1_000) });
    expect(inString.status).toBe(200);
    expect(inString.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a batched (array) request', async () => {
    const response = await fetch(t.app.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: '{ plans { code } }' }, { query: '{ plans { name } }' }]),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as GraphQLResponse<unknown>).errors).toEqual([
      { message: 'Batching is not supported.', extensions: { code: 'BAD_REQUEST' } },
    ]);
  });

  it('refuses a GET without a CSRF header, a browser could send it from any site', async () => {
    const url = `${t.app.graphqlUrl}?query=${encodeURIComponent('{ plans { code } }')}`;
    const refused = await fetch(url);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as GraphQLResponse<unknown>).errors).toEqual([
      { message: expect.stringMatching(/^CSRF prevention: .*x-graphql-csrf/), extensions: { code: 'BAD_REQUEST' } },
    ]);
    const allowed = await fetch(url, { headers: { 'x-graphql-csrf': '1' } });
    expect(allowed.status).toBe(200);
    expect(((await allowed.json()) as GraphQLResponse<any>).data.plans.length).toBeGreaterThan(0);
  });

  it('caps the list of voucher codes one upload takes', async () => {
    const bearer = await t.partnerKey('brewbar');
    const upload = 'mutation($codes: [String!]!) { uploadVoucherCodes(benefitCode: "COFFEE", codes: $codes) { accepted } }';
    const codes = (n: number) => Array.from({ length: n }, (_, i) => `LIMIT-${i}`);
    const refused = await t.graphql(upload, { codes: codes(5001) }, { bearer });
    expect(refused.errors?.[0]).toMatchObject({ message: expect.stringContaining('at most 5000 per upload'), extensions: { code: 'BAD_USER_INPUT' } });
    const accepted = await t.graphql(upload, { codes: codes(5000) }, { bearer });
    expect(accepted.errors).toBeUndefined();
    expect(accepted.data.uploadVoucherCodes.accepted).toBe(5000);
  });
});

const INTROSPECTION = '{ __schema { queryType { name } } }';
const MISSPELLED = '{ plans { cod } }';

describe('introspection and field suggestions outside production', () => {
  it('answers introspection', async () => {
    const res = await t.graphql(INTROSPECTION);
    expect(res.errors).toBeUndefined();
    expect(res.data.__schema.queryType.name).toBe('Query');
  });

  it('suggests the field a misspelled one meant', async () => {
    const res = await t.graphql(MISSPELLED);
    expect(res.errors?.[0]?.message).toBe('Cannot query field "cod" on type "Plan". Did you mean "code"?');
  });
});

describe('introspection and field suggestions in production', () => {
  let prod: TestApp;

  beforeAll(async () => {
    // Production never starts sandbox partners: point each adapter at an address (never called here).
    const partners = Object.fromEntries(
      BUILT_IN_PARTNERS.flatMap(({ id }) => [
        [`PARTNER_${id.toUpperCase()}_URL`, 'http://127.0.0.1:9'],
        [`PARTNER_${id.toUpperCase()}_API_KEY`, 'unused'],
      ]),
    );
    prod = await startTestApp({
      env: {
        NODE_ENV: 'production',
        AUTH_ISSUER: 'https://idp.test',
        AUTH_JWKS_URL: 'https://idp.test/jwks.json',
        SUBGRAPH_SECRET: 'a-test-subgraph-secret-of-32-characters-or-more',
        ...partners,
      },
    });
  });
  afterAll(async () => {
    await prod?.close();
  });

  it('still serves anonymous queries', async () => {
    const res = await prod.graphql('{ plans { code } }');
    expect(res.errors).toBeUndefined();
    expect(res.data.plans).toEqual(expect.arrayContaining([{ code: 'PLUS' }]));
  });

  it('refuses introspection', async () => {
    const res = await prod.graphql(INTROSPECTION);
    expect(res.data ?? null).toBeNull();
    expect(res.errors?.[0]).toMatchObject({
      message: 'GraphQL introspection has been disabled, but the requested query contained the field "__schema".',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
  });

  it('names a misspelled field without suggesting the right one', async () => {
    const res = await prod.graphql(MISSPELLED);
    expect(res.errors).toEqual([
      expect.objectContaining({ message: 'Cannot query field "cod" on type "Plan".', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }),
    ]);
  });
});
