import { buildSubgraphSchema, type GraphQLResolverMap } from '@apollo/subgraph';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { type GraphQLSchema, parse } from 'graphql';
import { buildSchema, createResolversMap } from 'type-graphql';
import { BenefitResolver, PlanBenefitResolver } from '../modules/bundle/benefit.resolver.js';
import { EntitlementResolver, EntitlementTokenResolver } from '../modules/entitlement/entitlement.resolver.js';
import { MemberResolver } from '../modules/member/member.resolver.js';
import { MembershipResolver } from '../modules/membership/membership.resolver.js';
import { PartnerAdminResolver } from '../modules/partner/partner-key.resolver.js';
import { PartnerResolver } from '../modules/partner/partner.resolver.js';
import { PlanResolver } from '../modules/plan/plan.resolver.js';
import { PrivacyResolver } from '../modules/privacy/privacy.resolver.js';
import { ProvisioningResolver } from '../modules/provisioning/provisioning.resolver.js';
import { RedemptionResolver } from '../modules/redemption/redemption.resolver.js';
import { SettlementLineResolver, SettlementResolver } from '../modules/settlement/settlement.resolver.js';
import { VoucherResolver } from '../modules/voucher/voucher.resolver.js';
import { DateTimeISO } from '../platform/date-time-iso.js';
import type { RequestContext } from './request-scope.js';

const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@external", "@requires"])';

/** The type-graphql schema before federation: what is printed to schema/membership.graphql. */
async function buildTypeGraphqlSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [
      PlanResolver,
      BenefitResolver,
      PlanBenefitResolver,
      PartnerResolver,
      PartnerAdminResolver,
      MemberResolver,
      MembershipResolver,
      EntitlementResolver,
      EntitlementTokenResolver,
      RedemptionResolver,
      SettlementResolver,
      SettlementLineResolver,
      ProvisioningResolver,
      VoucherResolver,
      PrivacyResolver,
    ],
    // Date arguments refuse instants the database cannot store (see date-time-iso.ts).
    scalarsMap: [{ type: Date, scalar: DateTimeISO }],
    validate: false,
    emitSchemaFile: false,
  });
}

let cached: Promise<{ typeDefs: string; schema: GraphQLSchema }> | undefined;

/**
 * The membership subgraph: type-graphql's schema printed with its directives, behind the
 * federation `@link`, built by `@apollo/subgraph` with type-graphql's resolvers plus
 * reference resolvers that go through the request's DataLoaders.
 */
export function buildMembershipSubgraph(): Promise<{ typeDefs: string; schema: GraphQLSchema }> {
  cached ??= (async () => {
    const base = await buildTypeGraphqlSchema();
    const typeDefs = `${FEDERATION_LINK}\n\n${printSchemaWithDirectives(base)}`;
    const resolvers = createResolversMap(base) as GraphQLResolverMap<RequestContext>;
    const schema = buildSubgraphSchema([
      {
        typeDefs: parse(typeDefs),
        resolvers: { ...resolvers, ...referenceResolvers(resolvers) },
      },
    ]);
    return { typeDefs, schema };
  })();
  return cached;
}

function referenceResolvers(map: GraphQLResolverMap<RequestContext>): GraphQLResolverMap<RequestContext> {
  const withReference = (typeName: string, resolve: (ref: Record<string, unknown>, ctx: RequestContext) => Promise<unknown>) => ({
    [typeName]: { ...(map[typeName] as object), __resolveReference: resolve },
  });
  return {
    ...withReference('Plan', (ref, ctx) => ctx.loaders.planByCode.load(String(ref.code))),
    ...withReference('Benefit', (ref, ctx) => ctx.loaders.benefitByCode.load(String(ref.code))),
    ...withReference('Partner', (ref, ctx) => ctx.loaders.partnerById.load(String(ref.id))),
    ...withReference('Entitlement', async (ref, ctx) => {
      // Only the owner (or the benefit's partner) may see an entitlement, through any path.
      const entitlement = await ctx.loaders.entitlementById.load(String(ref.id));
      if (!entitlement) return null;
      if (ctx.principal.kind === 'member' && entitlement.member.id === ctx.principal.memberId) return entitlement;
      if (ctx.principal.kind === 'partner') {
        const benefit = await ctx.loaders.benefitById.load(entitlement.benefit.id);
        if (benefit?.partner.id === ctx.principal.partnerId) return entitlement;
      }
      return null;
    }),
  };
}
