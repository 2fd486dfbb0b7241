import type { GraphQLResolverMap } from '@apollo/subgraph';
import { STREAMFLIX_ID, type StreamflixClient, type StreamflixRightRecord } from './client.js';
import { DateTimeISO, type PartnerSubgraphContext } from '../sdk/index.js';

/** An `Entitlement` representation from the gateway, with the fields `streamingAccount` requires. */
interface EntitlementRepresentation {
  id: string;
  benefit?: { partner?: { id?: string } | null } | null;
}

/** `StreamingAccount` as served. */
interface StreamingAccount {
  status: 'NOT_PROVISIONED' | StreamflixRightRecord['status'];
  activeUntil: Date | null;
  activationLink: string | null;
}

/** Resolvers of the Streamflix subgraph, reading Streamflix's API through `client`. */
export function streamflixResolvers(client: StreamflixClient): GraphQLResolverMap<PartnerSubgraphContext> {
  return {
    DateTimeISO,
    Entitlement: {
      async streamingAccount(entitlement: EntitlementRepresentation, _args: unknown, context: PartnerSubgraphContext): Promise<StreamingAccount | null> {
        if (entitlement.benefit?.partner?.id !== STREAMFLIX_ID) return null;
        const right = await client.getRight(entitlement.id, { requestId: context.requestId });
        return toStreamingAccount(right);
      },
    },
  };
}

function toStreamingAccount(right: StreamflixRightRecord | null): StreamingAccount {
  if (!right) return { status: 'NOT_PROVISIONED', activeUntil: null, activationLink: null };
  return {
    status: right.status,
    activeUntil: right.activeUntil,
    // The one-time code is only worth showing while there is an account to link.
    activationLink: right.status === 'PENDING_LINK' ? right.activationUrl : null,
  };
}
