import { composeServices } from '@apollo/composition';
import { printSubgraphSchema } from '@apollo/subgraph';
import { parse, type DocumentNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { sparkwash } from '../sparkwash/index.js';
import { buildPartnerSubgraphSchema } from '../subgraph-server.js';
import { streamflix } from './index.js';

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

const streamflixSubgraph = { name: streamflix.id, typeDefs: streamflix.typeDefs };
const sparkwashSubgraph = { name: sparkwash.id, typeDefs: sparkwash.typeDefs };

describe('streamflix subgraph composition', () => {
  it('composes with the membership entities without errors or hints', () => {
    const result = compose([streamflixSubgraph]);
    expect(result.errors).toBeUndefined();
    expect((result.hints ?? []).map(String)).toEqual([]);
  });

  it('adds Entitlement.streamingAccount requiring the benefit partner id from membership', () => {
    const result = compose([streamflixSubgraph]);
    if (result.errors) throw result.errors[0];
    const entitlement = typeBlock(result.supergraphSdl, 'Entitlement');
    expect(entitlement).toContain('@join__type(graph: STREAMFLIX, key: "id")');
    expect(entitlement).toMatch(/streamingAccount: StreamingAccount @join__field\(graph: STREAMFLIX, requires: "benefit \{ partner \{ id \} \}"\)/);
    expect(entitlement).toContain('benefit: Benefit! @join__field(graph: MEMBERSHIP) @join__field(graph: STREAMFLIX, external: true)');
  });

  it('composes together with sparkwash, both declaring the Benefit and Partner stubs, without errors or hints', () => {
    const result = compose([sparkwashSubgraph, streamflixSubgraph]);
    expect(result.errors).toBeUndefined();
    expect((result.hints ?? []).map(String)).toEqual([]);
    if (result.errors) return;
    const entitlement = typeBlock(result.supergraphSdl, 'Entitlement');
    expect(entitlement).toContain(
      'benefit: Benefit! @join__field(graph: MEMBERSHIP) @join__field(graph: SPARKWASH, external: true) @join__field(graph: STREAMFLIX, external: true)',
    );
    expect(entitlement).toMatch(/carWash: CarWashPass @join__field\(graph: SPARKWASH, requires:/);
    expect(entitlement).toMatch(/streamingAccount: StreamingAccount @join__field\(graph: STREAMFLIX, requires:/);
    const benefit = typeBlock(result.supergraphSdl, 'Benefit');
    expect(benefit).toContain('@join__type(graph: SPARKWASH, key: "code", resolvable: false)');
    expect(benefit).toContain('@join__type(graph: STREAMFLIX, key: "code", resolvable: false)');
    expect(typeBlock(result.supergraphSdl, 'Partner')).toContain(
      'id: ID! @join__field(graph: MEMBERSHIP) @join__field(graph: SPARKWASH, external: true) @join__field(graph: STREAMFLIX, external: true)',
    );
  });

  it('composes from the SDL the running subgraphs print, as the build does', () => {
    const options = { baseUrl: 'http://127.0.0.1:1', apiKey: 'unused' };
    const printedSparkwash = printSubgraphSchema(buildPartnerSubgraphSchema(sparkwash, sparkwash.createClient(options)));
    const printedStreamflix = printSubgraphSchema(buildPartnerSubgraphSchema(streamflix, streamflix.createClient(options)));
    const result = compose([
      { name: sparkwash.id, typeDefs: parse(printedSparkwash) },
      { name: streamflix.id, typeDefs: parse(printedStreamflix) },
    ]);
    expect(result.errors).toBeUndefined();
    expect(result.supergraphSdl).toContain('enum StreamingAccountStatus');
  });
});
