import { composeServices } from '@apollo/composition';
import { printSubgraphSchema } from '@apollo/subgraph';
import { parse, type DocumentNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { sparkwash } from '../sparkwash/index.js';
import { buildMembershipSubgraph } from '../../src/server/membership-schema.js';
import { buildPartnerSubgraphSchema } from '../subgraph-server.js';
import { brewbar } from './index.js';

// The entity shapes the membership subgraph exposes (type-graphql, printed with its @link),
// including the claimed voucher codes of src/voucher/ that `coffee` requires.
const membershipStub = parse(/* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

  scalar DateTimeISO
  enum EntitlementStatus { PENDING_PROVISION ACTIVE SUSPENDED REVOKED EXPIRED }
  enum BenefitKind { ACCESS QUOTA VOUCHER DISCOUNT CONVERSION }

  type Entitlement @key(fields: "id") {
    id: ID!
    status: EntitlementStatus!
    benefit: Benefit!
    remaining: Int
    validUntil: DateTimeISO!
    vouchers: [Voucher!]!
  }
  type Voucher {
    code: String!
    qrPayload: String!
    claimedAt: DateTimeISO!
  }
  type Benefit @key(fields: "code") {
    code: String!
    kind: BenefitKind!
    name: String!
    description: String!
    partner: Partner!
  }
  type Partner @key(fields: "id") {
    id: ID!
    name: String!
  }
  type Member { id: ID! entitlements: [Entitlement!]! }
  type Query { me: Member! }
  type Mutation { claimVoucher(entitlementId: ID!): Voucher! }
`);

function compose(partners: Array<{ name: string; typeDefs: DocumentNode }>) {
  return composeServices([
    { name: 'membership', url: 'http://127.0.0.1:1/graphql', typeDefs: membershipStub },
    ...partners.map((partner, index) => ({ ...partner, url: `http://127.0.0.1:${index + 2}/graphql` })),
  ]);
}

function typeBlock(supergraphSdl: string, name: string): string {
  const start = supergraphSdl.indexOf(`type ${name}\n`);
  return supergraphSdl.slice(start, supergraphSdl.indexOf('\n}', start) + 2);
}

const brewbarSubgraph = { name: brewbar.id, typeDefs: brewbar.typeDefs };
const sparkwashSubgraph = { name: sparkwash.id, typeDefs: sparkwash.typeDefs };

describe('brewbar subgraph composition', () => {
  it('composes with the membership entities without errors or hints', () => {
    const result = compose([brewbarSubgraph]);
    expect(result.errors).toBeUndefined();
    expect((result.hints ?? []).map(String)).toEqual([]);
  });

  it('adds Entitlement.coffee requiring the benefit partner id and the claimed codes from membership', () => {
    const result = compose([brewbarSubgraph]);
    if (result.errors) throw result.errors[0];
    const entitlement = typeBlock(result.supergraphSdl, 'Entitlement');
    expect(entitlement).toContain('@join__type(graph: BREWBAR, key: "id")');
    expect(entitlement).toMatch(/coffee: CoffeeCard @join__field\(graph: BREWBAR, requires: "benefit \{ partner \{ id \} \} vouchers \{ code \}"\)/);
    expect(entitlement).toContain('vouchers: [Voucher!]! @join__field(graph: BREWBAR, external: true) @join__field(graph: MEMBERSHIP)');
  });

  it('leaves Voucher to membership: brewbar only reads its code', () => {
    const result = compose([brewbarSubgraph]);
    if (result.errors) throw result.errors[0];
    const voucher = typeBlock(result.supergraphSdl, 'Voucher');
    expect(voucher).toContain('code: String! @join__field(graph: BREWBAR, external: true) @join__field(graph: MEMBERSHIP)');
    expect(voucher).toContain('qrPayload: String! @join__field(graph: MEMBERSHIP)');
    expect(voucher).toContain('claimedAt: DateTimeISO! @join__field(graph: MEMBERSHIP)');
  });

  it('refuses a Voucher.code brewbar would claim to resolve itself, which is why it is @external', () => {
    const sdl = brewbar.typeDefs.loc!.source.body.replace(/type Voucher \{\n {2}code: String! @external/, 'type Voucher {\n  code: String!');
    const result = compose([{ name: brewbar.id, typeDefs: parse(sdl) }]);
    expect(result.errors?.map((error) => error.message)).toEqual([expect.stringContaining('Non-shareable field "Voucher.code"')]);
  });

  it('composes together with sparkwash, both declaring the Benefit and Partner stubs, without errors or hints', () => {
    const result = compose([sparkwashSubgraph, brewbarSubgraph]);
    expect(result.errors).toBeUndefined();
    expect((result.hints ?? []).map(String)).toEqual([]);
    if (result.errors) return;
    const entitlement = typeBlock(result.supergraphSdl, 'Entitlement');
    expect(entitlement).toContain(
      'benefit: Benefit! @join__field(graph: BREWBAR, external: true) @join__field(graph: MEMBERSHIP) @join__field(graph: SPARKWASH, external: true)',
    );
    expect(entitlement).toMatch(/carWash: CarWashPass @join__field\(graph: SPARKWASH, requires:/);
    expect(entitlement).toMatch(/coffee: CoffeeCard @join__field\(graph: BREWBAR, requires:/);
  });

  it('composes from the SDL the running subgraph prints, as the build does', () => {
    const client = brewbar.createClient({ baseUrl: 'http://127.0.0.1:1', apiKey: 'unused' });
    const printed = printSubgraphSchema(buildPartnerSubgraphSchema(brewbar, client));
    const result = compose([{ name: brewbar.id, typeDefs: parse(printed) }, sparkwashSubgraph]);
    expect(result.errors).toBeUndefined();
    expect(result.supergraphSdl).toContain('scalar DateTimeISO');
  });

  it('composes with the membership subgraph as src/ builds it, vouchers and all', async () => {
    const membership = await buildMembershipSubgraph();
    const result = composeServices([
      { name: 'membership', url: 'http://127.0.0.1:1/graphql', typeDefs: parse(membership.typeDefs) },
      { name: sparkwash.id, url: 'http://127.0.0.1:2/graphql', typeDefs: sparkwash.typeDefs },
      { name: brewbar.id, url: 'http://127.0.0.1:3/graphql', typeDefs: brewbar.typeDefs },
    ]);
    expect(result.errors).toBeUndefined();
    if (result.errors) return;
    expect(typeBlock(result.supergraphSdl, 'Entitlement')).toMatch(/coffee: CoffeeCard @join__field\(graph: BREWBAR, requires: "benefit \{ partner \{ id \} \} vouchers \{ code \}"\)/);
  });
});
