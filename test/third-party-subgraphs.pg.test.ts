// Partners' own registered subgraphs are third parties: they receive no credential of the
// member's and no sign-in subject — only, when a member is behind the request, an assertion we
// sign for that partner with its pseudonym of the member. And they must be where a third
// party may be: https and public addresses only (production, or PARTNER_SUBGRAPH_PUBLIC_ONLY),
// checked at registration and again at every connection.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { execute, parse } from 'graphql';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';

const REGISTER = `mutation($p: ID!, $u: String!) { registerPartnerSubgraph(partnerId: $p, url: $u) { partnerId } }`;
const STAMPS_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Entitlement @key(fields: "id") {
    id: ID!
    brewbarStamps: Int
  }`;

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A partner's subgraph on loopback that records every request it gets (headers and body). */
async function recordingSubgraph(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const schema = buildSubgraphSchema([
    { typeDefs: parse(STAMPS_SDL), resolvers: { Entitlement: { __resolveReference: (ref: { id: string }) => ({ id: ref.id, brewbarStamps: 3 }) } } as never },
  ]);
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ headers: req.headers, body });
      const { query, variables } = JSON.parse(body) as { query: string; variables?: Record<string, unknown> };
      const result = await execute({ schema, document: parse(query), variableValues: variables ?? {} });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(result));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("a partner's registered subgraph, as a third party", () => {
  let t: TestApp;
  let subgraph: Awaited<ReturnType<typeof recordingSubgraph>>;

  beforeAll(async () => {
    t = await startTestApp();
    subgraph = await recordingSubgraph();
    const registered = await t.graphql(REGISTER, { p: 'brewbar', u: subgraph.url }, { bearer: await t.adminToken('ops') });
    expect(registered.errors).toBeUndefined();
  });
  afterAll(async () => {
    await subgraph?.close();
    await t?.close();
  });

  it('gets no credential, no signature and no sign-in subject: only an assertion we sign, with its own pseudonym of the member', async () => {
    const subject = `idp-subject-${randomUUID()}`;
    const member = await t.memberToken(subject);
    await t.graphql(`mutation { subscribe(planCode: "PLUS", idempotencyKey: "k") { id } }`, {}, { bearer: member });
    subgraph.received.length = 0;
    const res = await t.graphql(`{ me { id entitlements { id benefit { code } brewbarStamps } } }`, {}, { bearer: member });
    expect(res.errors).toBeUndefined();
    expect(res.data.me.entitlements.every((e: { brewbarStamps: number }) => e.brewbarStamps === 3)).toBe(true);

    expect(subgraph.received).toHaveLength(1);
    const [{ headers, body }] = subgraph.received as [Received];
    expect(headers.authorization).toBeUndefined();
    expect(headers['x-gateway-signature']).toBeUndefined();
    expect(headers.cookie).toBeUndefined();
    // Nothing it receives names the member as the identity provider or we know them.
    const everything = JSON.stringify(headers) + body;
    expect(everything).not.toContain(subject);
    expect(everything).not.toContain(res.data.me.id);
    expect(everything).not.toContain(member);

    const assertion = headers['x-coalition-member-assertion'] as string;
    expect(assertion).toEqual(expect.any(String));
    const jwks = createLocalJWKSet(await (await fetch(`${t.app.url}/.well-known/jwks.json`)).json());
    const { payload, protectedHeader } = await jwtVerify(assertion, jwks, {
      issuer: 'http://issuer.test',
      audience: 'brewbar',
      typ: 'member-assertion+jwt',
      algorithms: ['EdDSA'],
    });
    expect(protectedHeader.typ).toBe('member-assertion+jwt');
    expect(payload.exp! - payload.iat!).toBe(60);
    // Its sub is the pseudonym brewbar knows the member by: the sub of the member's brewbar tokens.
    const coffee = res.data.me.entitlements.find((e: { benefit: { code: string } }) => e.benefit.code === 'COFFEE');
    const issued = await t.graphql(`mutation($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }`, { id: coffee.id }, { bearer: member });
    expect(payload.sub).toBe(decodeJwt(issued.data.issueEntitlementToken.token).sub);
    // … and another partner's pseudonym is different (no linking across partners).
    const carWash = res.data.me.entitlements.find((e: { benefit: { code: string } }) => e.benefit.code === 'CAR_WASH');
    const sparkwashToken = await t.graphql(`mutation($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }`, { id: carWash.id }, { bearer: member });
    expect(decodeJwt(sparkwashToken.data.issueEntitlementToken.token).sub).not.toBe(payload.sub);
  });

  it('gets no assertion when no member is behind the request (a partner calling)', async () => {
    const partner = await t.partnerKey('brewbar');
    subgraph.received.length = 0;
    const coffeeHolder = await t.subscribedMember();
    const token = (await t.graphql(`mutation($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }`, { id: coffeeHolder.entitlementIds.COFFEE }, { bearer: coffeeHolder.bearer }))
      .data.issueEntitlementToken.token;
    subgraph.received.length = 0;
    const checked = await t.graphql(`query($t: String!) { checkEntitlementToken(token: $t) { entitlement { brewbarStamps } } }`, { t: token }, { bearer: partner });
    expect(checked.errors).toBeUndefined();
    expect(subgraph.received).toHaveLength(1);
    expect(subgraph.received[0]!.headers.authorization).toBeUndefined();
    expect(subgraph.received[0]!.headers['x-coalition-member-assertion']).toBeUndefined();
  });
});

describe('where a registered subgraph may be (PARTNER_SUBGRAPH_PUBLIC_ONLY, as in production)', () => {
  let t: TestApp;
  let admin: string;
  let subgraph: Awaited<ReturnType<typeof recordingSubgraph>>;

  beforeAll(async () => {
    t = await startTestApp({ env: { PARTNER_SUBGRAPH_PUBLIC_ONLY: 'true' } });
    admin = await t.adminToken('ops');
    subgraph = await recordingSubgraph();
  });
  afterAll(async () => {
    await subgraph?.close();
    await t?.close();
  });

  it('refuses plain http and loopback, private and link-local addresses at registration, fetching nothing', async () => {
    for (const url of [subgraph.url, subgraph.url.replace('127.0.0.1', 'localhost'), 'https://10.1.2.3/graphql', 'https://169.254.169.254/latest', 'https://[::1]/graphql', 'https://[::ffff:192.168.0.1]/graphql']) {
      const res = await t.graphql(REGISTER, { p: 'brewbar', u: url }, { bearer: admin });
      expect(res.errors?.[0]?.extensions?.code, url).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.message, url).toMatch(/loopback, private or link-local|https/);
    }
    const refused = await t.graphql(REGISTER, { p: 'brewbar', u: 'https://127.0.0.1/graphql' }, { bearer: admin });
    expect(refused.errors?.[0]?.message).toMatch(/must not resolve to a loopback, private or link-local address \(127\.0\.0\.1 is 127\.0\.0\.1\)/);
    expect(subgraph.received).toHaveLength(0);
    expect(await t.db.query('select * from partner_subgraph')).toEqual([]);
  });

  it('refuses at connection time a registered subgraph whose address is no longer public, sending it nothing', async () => {
    // As if the partner's name resolved publicly at registration and to loopback now (DNS rebinding).
    await t.db.query(`insert into partner_subgraph (partner_id, url, sdl, registered_at) values ('brewbar', $1, $2, now())`, [subgraph.url, STAMPS_SDL]);
    await t.app.deps.subgraphComposition.onChange?.();
    const member = await t.subscribedMember();
    const res = await t.graphql(`{ me { entitlements { remaining brewbarStamps } } }`, {}, { bearer: member.bearer });
    expect(res.data.me.entitlements).toHaveLength(4);
    expect(res.data.me.entitlements.every((e: { brewbarStamps: number | null }) => e.brewbarStamps === null)).toBe(true);
    expect(res.errors?.[0]?.extensions).toEqual({ code: 'DOWNSTREAM_SERVICE_ERROR', service: 'brewbar' });
    expect(subgraph.received).toHaveLength(0);
  });
});
