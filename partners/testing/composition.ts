import { composeServices } from '@apollo/composition';
import { printSubgraphSchema } from '@apollo/subgraph';
import { parse, type DocumentNode } from 'graphql';
import { buildPartnerSubgraphSchema } from '../sdk/hosting.js';
import type { PartnerAdapter } from '../sdk/index.js';

// Test helper: composing partner subgraphs with a stub of the membership subgraph, as the build does.

/**
 * The entity shapes the membership subgraph exposes (type-graphql, printed with its @link),
 * including the claimed voucher codes of src/voucher/.
 */
export const membershipStub: DocumentNode = parse(/* GraphQL */ `
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

/** One subgraph to compose: its name and its SDL. */
export interface SubgraphDefinition {
  name: string;
  typeDefs: DocumentNode;
}

/** A partner's subgraph from its schema.graphql. */
export function subgraphOf<Client>(adapter: PartnerAdapter<Client>): SubgraphDefinition {
  return { name: adapter.id, typeDefs: adapter.typeDefs };
}

/** A partner's subgraph from the SDL its running subgraph prints, as the build composes it. */
export function printedSubgraphOf<Client>(adapter: PartnerAdapter<Client>): SubgraphDefinition {
  const client = adapter.createClient({ baseUrl: 'http://127.0.0.1:1', apiKey: 'unused' });
  return { name: adapter.id, typeDefs: parse(printSubgraphSchema(buildPartnerSubgraphSchema(adapter, client))) };
}

/** Composes the partners' subgraphs with the membership one (the stub unless given). */
export function composeWithMembership(partners: SubgraphDefinition[], membership: DocumentNode = membershipStub) {
  return composeServices([
    { name: 'membership', url: 'http://127.0.0.1:1/graphql', typeDefs: membership },
    ...partners.map((partner, index) => ({ ...partner, url: `http://127.0.0.1:${index + 2}/graphql` })),
  ]);
}

/** The block of `type <name>` in a supergraph SDL, up to its closing brace. */
export function typeBlock(supergraphSdl: string, name: string): string {
  const start = supergraphSdl.indexOf(`type ${name}\n`);
  return supergraphSdl.slice(start, supergraphSdl.indexOf('\n}', start) + 2);
}
