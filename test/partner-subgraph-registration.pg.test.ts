// A partner's own subgraph, registered at run time: composed without a restart, refused
// with the composition errors when it does not compose, the running supergraph untouched.
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SubscribeDocument } from './generated/operations.js';
import { startTestApp, type TestApp } from './support/app.js';

const REGISTER = `mutation($p: ID!, $u: String!) { registerPartnerSubgraph(partnerId: $p, url: $u) { partnerId url registeredAt } }`;

let t: TestApp;
let admin: string;
const servers: ApolloServer[] = [];

async function partnerSubgraph(typeDefs: string, resolvers: Record<string, unknown>): Promise<string> {
  const server = new ApolloServer({ schema: buildSubgraphSchema([{ typeDefs: parse(typeDefs), resolvers: resolvers as never }]) });
  servers.push(server);
  const { url } = await startStandaloneServer(server, { listen: { host: '127.0.0.1', port: 0 } });
  return url;
}

beforeAll(async () => {
  t = await startTestApp();
  admin = await t.adminToken('ops');
});
afterAll(async () => {
  for (const s of servers) await s.stop();
  await t?.close();
});

const STAMPS_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Entitlement @key(fields: "id") {
    id: ID!
    "Stamps on the member's BrewBar loyalty card"
    brewbarStamps: Int
  }`;

describe("a partner's own subgraph", () => {
  it('joins the running supergraph without a restart', async () => {
    const url = await partnerSubgraph(STAMPS_SDL, {
      Entitlement: { __resolveReference: (ref: { id: string }) => ({ id: ref.id, brewbarStamps: 7 }) },
    });
    const bearer = await t.memberToken(`member-${randomUUID()}`);
    await t.graphql(SubscribeDocument, { planCode: 'PLUS', idempotencyKey: 'k' }, { bearer });
    const before = await t.graphql(`{ me { entitlements { id brewbarStamps } } }`, {}, { bearer });
    expect(before.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');

    const registered = await t.graphql(REGISTER, { p: 'brewbar', u: url }, { bearer: admin });
    expect(registered.errors).toBeUndefined();
    expect(registered.data.registerPartnerSubgraph).toMatchObject({ partnerId: 'brewbar', url });

    const after = await t.graphql(`{ me { entitlements { id brewbarStamps } } }`, {}, { bearer });
    expect(after.errors).toBeUndefined();
    expect(after.data.me.entitlements.map((e: any) => e.brewbarStamps)).toEqual([7, 7, 7, 7]);
  });

  it('is refused with the composition errors listed, and the gateway keeps serving what it served', async () => {
    const broken = await partnerSubgraph(
      `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])
       type Plan @key(fields: "code") { code: String! price: Int @shareable }`,
      { Plan: { __resolveReference: (ref: { code: string }) => ({ code: ref.code, price: 1 }) } },
    );
    const before = await t.db.query(`select partner_id, url, sdl from partner_subgraph order by partner_id`);
    const res = await t.graphql(REGISTER, { p: 'skymiles', u: broken }, { bearer: admin });
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const compositionErrors = res.errors?.[0]?.extensions?.compositionErrors as string[];
    expect(compositionErrors.length).toBeGreaterThan(0);
    expect(compositionErrors.join('\n')).toMatch(/Plan\.price/);
    expect(await t.db.query(`select partner_id, url, sdl from partner_subgraph order by partner_id`)).toEqual(before);

    const bearer = await t.memberToken(`member-${randomUUID()}`);
    await t.graphql(SubscribeDocument, { planCode: 'PLUS', idempotencyKey: 'k' }, { bearer });
    const still = await t.graphql(`{ plans { code price { amount } } me { entitlements { brewbarStamps } } }`, {}, { bearer });
    expect(still.errors).toBeUndefined();
    expect(still.data.plans.find((p: { code: string }) => p.code === 'PLUS').price.amount).toBe(19_800);
    expect(still.data.me.entitlements[0].brewbarStamps).toBe(7);
  });

  it('refuses a subgraph that does not answer, and a partner that does not exist', async () => {
    const unreachable = await t.graphql(REGISTER, { p: 'skymiles', u: 'http://127.0.0.1:9/graphql' }, { bearer: admin });
    expect(unreachable.errors?.[0]?.extensions?.code).toBe('DOWNSTREAM_SERVICE_ERROR');
    const unknown = await t.graphql(REGISTER, { p: 'nobody', u: 'http://127.0.0.1:9/graphql' }, { bearer: admin });
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const notAdmin = await t.graphql(REGISTER, { p: 'brewbar', u: 'http://127.0.0.1:9/graphql' }, { bearer: await t.memberToken('m') });
    expect(notAdmin.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it("keeps the member page up when the partner's subgraph is down, naming the partner and nothing internal", async () => {
    await servers[0]!.stop();
    const bearer = await t.memberToken(`member-${randomUUID()}`);
    await t.graphql(SubscribeDocument, { planCode: 'PLUS', idempotencyKey: 'k' }, { bearer });
    const res = await t.graphql(`{ me { membership { status } entitlements { remaining brewbarStamps } } }`, {}, { bearer });
    expect(res.data.me.membership.status).toBe('ACTIVE');
    expect(res.data.me.entitlements).toHaveLength(4);
    expect(res.data.me.entitlements.every((e: any) => e.brewbarStamps === null)).toBe(true);
    expect(res.errors).toHaveLength(1);
    expect(res.errors![0]).toMatchObject({
      message: 'Partner service brewbar is unavailable',
      extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', service: 'brewbar' },
    });
    expect(JSON.stringify(res.errors)).not.toMatch(/representations|_entities/);
  });

  it('leaves the supergraph when unregistered', async () => {
    const res = await t.graphql(`mutation { unregisterPartnerSubgraph(partnerId: "brewbar") }`, {}, { bearer: admin });
    expect(res.data.unregisterPartnerSubgraph).toBe(true);
    const gone = await t.graphql(`{ me { entitlements { brewbarStamps } } }`, {}, { bearer: await t.memberToken('m2') });
    expect(gone.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});
