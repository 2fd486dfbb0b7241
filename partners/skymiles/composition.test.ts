import { composeServices } from '@apollo/composition';
import { printSubgraphSchema } from '@apollo/subgraph';
import { parse, type DocumentNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { sparkwash } from '../sparkwash/index.js';
import { buildPartnerSubgraphSchema } from '../subgraph-server.js';
import { skymiles } from './index.js';

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

function compose(skymilesTypeDefs: DocumentNode) {
  return composeServices([
    { name: 'membership', url: 'http://127.0.0.1:1/graphql', typeDefs: membershipStub },
    { name: sparkwash.id, url: 'http://127.0.0.1:2/graphql', typeDefs: sparkwash.typeDefs },
    { name: skymiles.id, url: 'http://127.0.0.1:3/graphql', typeDefs: skymilesTypeDefs },
  ]);
}

function typeBlock(supergraphSdl: string, name: string): string {
  const start = supergraphSdl.indexOf(`type ${name}\n`);
  return supergraphSdl.slice(start, supergraphSdl.indexOf('\n}', start) + 2);
}

describe('skymiles subgraph composition', () => {
  it('composes with the membership entities and sparkwash without errors or hints', () => {
    const result = compose(skymiles.typeDefs);
    expect(result.errors).toBeUndefined();
    expect((result.hints ?? []).map(String)).toEqual([]);
  });

  it('adds Entitlement.milesConversion requiring the benefit partner id from membership', () => {
    const result = compose(skymiles.typeDefs);
    if (result.errors) throw result.errors[0];
    const entitlement = typeBlock(result.supergraphSdl, 'Entitlement');
    expect(entitlement).toContain('@join__type(graph: SKYMILES, key: "id")');
    expect(entitlement).toMatch(/milesConversion: MilesConversion @join__field\(graph: SKYMILES, requires: "benefit \{ partner \{ id \} \}"\)/);
    expect(entitlement).toMatch(/carWash: CarWashPass @join__field\(graph: SPARKWASH, requires: "benefit \{ partner \{ id \} \}"\)/);
    expect(entitlement).toContain(
      'benefit: Benefit! @join__field(graph: MEMBERSHIP) @join__field(graph: SKYMILES, external: true) @join__field(graph: SPARKWASH, external: true)',
    );
  });

  it('leaves Benefit and Partner to membership: skymiles resolves none of their fields', () => {
    const result = compose(skymiles.typeDefs);
    if (result.errors) throw result.errors[0];
    expect(typeBlock(result.supergraphSdl, 'Benefit')).toContain('@join__type(graph: SKYMILES, key: "code", resolvable: false)');
    expect(typeBlock(result.supergraphSdl, 'Partner')).toContain('@join__type(graph: SKYMILES, key: "id", resolvable: false)');
  });

  it('exposes the conversion statuses members see', () => {
    const result = compose(skymiles.typeDefs);
    if (result.errors) throw result.errors[0];
    const statuses = result.supergraphSdl.slice(result.supergraphSdl.indexOf('enum MilesConversionStatus'));
    for (const status of ['NOT_REQUESTED', 'PENDING', 'CREDITED', 'REVERSED', 'REJECTED']) {
      expect(statuses.slice(0, statuses.indexOf('\n}'))).toContain(`${status} @join__enumValue(graph: SKYMILES)`);
    }
  });

  it('composes from the SDL the running subgraph prints, as the build does', () => {
    const client = skymiles.createClient({ baseUrl: 'http://127.0.0.1:1', apiKey: 'unused' });
    const printed = printSubgraphSchema(buildPartnerSubgraphSchema(skymiles, client));
    const result = compose(parse(printed));
    expect(result.errors).toBeUndefined();
    expect(result.supergraphSdl).toContain('scalar DateTimeISO');
  });
});
