import type { GraphQLResolverMap } from '@apollo/subgraph';
import { SKYMILES_ID, type ConversionRecord, type SkymilesClient } from './client.js';
import { DateTimeISO, type PartnerSubgraphContext } from '../sdk/index.js';

/** An `Entitlement` representation from the gateway, with the fields `milesConversion` requires. */
interface EntitlementRepresentation {
  id: string;
  benefit?: { partner?: { id?: string } | null } | null;
}

/** Parent of the `MilesConversion` fields: the conversion as read from SkyMiles, null when it has none yet. */
interface MilesConversionParent {
  conversion: ConversionRecord | null;
}

/** Resolvers of the SkyMiles subgraph, reading SkyMiles' API through `client`. */
export function skymilesResolvers(client: SkymilesClient): GraphQLResolverMap<PartnerSubgraphContext> {
  return {
    DateTimeISO,
    Entitlement: {
      async milesConversion(
        entitlement: EntitlementRepresentation,
        _args: unknown,
        context: PartnerSubgraphContext,
      ): Promise<MilesConversionParent | null> {
        if (entitlement.benefit?.partner?.id !== SKYMILES_ID) return null;
        const conversion = await client.getConversion(entitlement.id, { requestId: context.requestId });
        return { conversion };
      },
    },
    MilesConversion: {
      status: ({ conversion }: MilesConversionParent) => conversion?.status ?? 'NOT_REQUESTED',
      miles: ({ conversion }: MilesConversionParent) => conversion?.miles ?? null,
      reference: ({ conversion }: MilesConversionParent) => conversion?.reference ?? null,
      creditedAt: ({ conversion }: MilesConversionParent) => conversion?.creditedAt ?? null,
    },
  };
}
