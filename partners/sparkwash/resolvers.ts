import type { GraphQLResolverMap } from '@apollo/subgraph';
import { SPARKWASH_ID, type SparkwashClient, type WashPassRecord, type WashSiteRecord } from './client.js';
import { DateTimeISO, InputValidator, localize, negotiateLocale, type LocalizedText, type PartnerSubgraphContext } from '../sdk/index.js';

/** An `Entitlement` representation from the gateway, with the fields `carWash` requires. */
interface EntitlementRepresentation {
  id: string;
  benefit?: { partner?: { id?: string } | null } | null;
}

/** Parent of the `CarWashPass` fields: the pass as read from SparkWash, null when it has none yet. */
interface CarWashPassParent {
  entitlementId: string;
  pass: WashPassRecord | null;
}

const MAX_SITES = 50;

/** Resolvers of the SparkWash subgraph, reading SparkWash's API through `client`. */
export function sparkwashResolvers(client: SparkwashClient): GraphQLResolverMap<PartnerSubgraphContext> {
  const localized =
    (pick: (site: WashSiteRecord) => LocalizedText) =>
    (site: WashSiteRecord, _args: unknown, context: PartnerSubgraphContext): string =>
      localize(pick(site), negotiateLocale(context.acceptLanguage));

  return {
    DateTimeISO,
    Entitlement: {
      async carWash(entitlement: EntitlementRepresentation, _args: unknown, context: PartnerSubgraphContext): Promise<CarWashPassParent | null> {
        if (entitlement.benefit?.partner?.id !== SPARKWASH_ID) return null;
        const pass = await client.getPass(entitlement.id, { requestId: context.requestId });
        return { entitlementId: entitlement.id, pass };
      },
    },
    CarWashPass: {
      memberNumber: ({ pass }: CarWashPassParent) => pass?.memberNumber ?? null,
      status: ({ pass }: CarWashPassParent) => pass?.status ?? 'NOT_PROVISIONED',
      validUntil: ({ pass }: CarWashPassParent) => pass?.validUntil ?? null,
      bookings: ({ pass }: CarWashPassParent) => pass?.bookings ?? [],
      sites(_pass: CarWashPassParent, args: { city?: string | null; limit?: number | null }, context: PartnerSubgraphContext) {
        const limit = args.limit ?? 5;
        new InputValidator().check(limit >= 1 && limit <= MAX_SITES, 'limit', `must be from 1 to ${MAX_SITES}`).throwIfInvalid();
        return client.listSites({ city: args.city?.trim() || undefined, limit }, { requestId: context.requestId });
      },
    },
    WashSite: {
      name: localized((site) => site.name),
      address: localized((site) => site.address),
      city: localized((site) => site.city),
      openingHours: localized((site) => site.openingHours),
    },
  };
}
