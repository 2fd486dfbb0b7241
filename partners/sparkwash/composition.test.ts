import { composeServices } from '@apollo/composition';
import { printSubgraphSchema } from '@apollo/subgraph';
import { parse, type DocumentNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { buildPartnerSubgraphSchema } from '../subgraph-server.js';
import { sparkwash } from './index.js';

// The entity shapes the membership subgraph exposes (type-graphql, printed with its @link).
const membershipStub = parse(/* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

  scalar DateTimeISO
  enum EntitlementStatus { PENDING_PROVISION ACTIVE SUSPENDED REVOKED EXPIRED }
  enum BenefitKind { ACCESS QUOTA VOUCHER DISCOUNT }

  type Entitlement @key(fields: "id") {
    id: ID!
    status: EntitlementStatus!
    benefit: Benefit!
    remaining: Int
    validUntil: DateTimeISO!
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
`);

function compose(sparkwashTypeDefs: DocumentNode) {
  return composeServices([
    { name: 'membership', url: 'http://127.0.0.1:1/graphql', typeDefs: membershipStub },
    { name: sparkwash.id, url: 'http://127.0.0.1:2/graphql', typeDefs: sparkwashTypeDefs },
  ]);
}

function typeBlock(supergraphSdl: string, name: string): string {
  const start = supergraphSdl.indexOf(`type ${name}\n`);
  return supergraphSdl.slice(start, supergraphSdl.indexOf('\n}', start) + 2);
}

describe('sparkwash subgraph composition', () => {
  it('composes with the membership entities without errors or hints', () => {
    const result = compose(sparkwash.typeDefs);
    expect(result.errors).toBeUndefined();
    expect((result.hints ?? []).map(String)).toEqual([]);
  });

  it('adds Entitlement.carWash requiring the benefit partner id from membership', () => {
    const result = compose(sparkwash.typeDefs);
    if (result.errors) throw result.errors[0];
    const entitlement = typeBlock(result.supergraphSdl, 'Entitlement');
    expect(entitlement).toContain('@join__type(graph: SPARKWASH, key: "id")');
    expect(entitlement).toMatch(/carWash: CarWashPass @join__field\(graph: SPARKWASH, requires: "benefit \{ partner \{ id \} \}"\)/);
    expect(entitlement).toContain('benefit: Benefit! @join__field(graph: MEMBERSHIP) @join__field(graph: SPARKWASH, external: true)');
  });

  it('leaves Benefit and Partner to membership: sparkwash resolves none of their fields', () => {
    const result = compose(sparkwash.typeDefs);
    if (result.errors) throw result.errors[0];
    expect(typeBlock(result.supergraphSdl, 'Benefit')).toContain('@join__type(graph: SPARKWASH, key: "code", resolvable: false)');
    expect(typeBlock(result.supergraphSdl, 'Partner')).toContain('id: ID! @join__field(graph: MEMBERSHIP) @join__field(graph: SPARKWASH, external: true)');
  });

  it('composes from the SDL the running subgraph prints, as the build does', () => {
    const client = sparkwash.createClient({ baseUrl: 'http://127.0.0.1:1', apiKey: 'unused' });
    const printed = printSubgraphSchema(buildPartnerSubgraphSchema(sparkwash, client));
    const result = compose(parse(printed));
    expect(result.errors).toBeUndefined();
    expect(result.supergraphSdl).toContain('scalar DateTimeISO');
  });
});
