import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { MEMBER_ASSERTION_HEADER } from '../member-assertion.js';

/** How the gateway treats partners' own registered subgraphs. */
export interface ThirdPartySubgraphsOptions {
  /** The partner behind a registered subgraph's URL; undefined for our own subgraphs. */
  partnerOf(url: string): string | undefined;
  /** The member assertion for `partnerId` about the member making `request`; null when there is none. */
  assertion(request: Request, partnerId: string): Promise<string | null>;
  /** The fetch that calls them: the outbound policy applied at every connection (see platform/outbound.ts). */
  fetch: typeof fetch;
}

/** Headers a third party never receives, whatever put them on the request. */
const WITHHELD = ['authorization', 'cookie', 'x-gateway-signature'];

/**
 * Requests to a partner's own registered subgraph: no credential of the member's, no sign-in
 * subject, none of our signatures; the member, when there is one, only as an assertion we
 * sign for that partner (`x-coalition-member-assertion`); and through a fetch that refuses
 * non-public addresses at connection time.
 */
export function thirdPartySubgraphsPlugin(options: ThirdPartySubgraphsOptions): GatewayPlugin {
  return {
    onFetch({ url, options: init, setOptions, setFetchFn, context }) {
      const partnerId = options.partnerOf(url);
      if (!partnerId) return;
      setFetchFn(options.fetch as never);
      const headers = Object.fromEntries(
        Object.entries((init.headers ?? {}) as Record<string, string>).filter(([name]) => !WITHHELD.includes(name.toLowerCase())),
      );
      const request = (context as { request?: Request } | undefined)?.request;
      if (!request) {
        setOptions({ ...init, headers });
        return;
      }
      return options.assertion(request, partnerId).then((assertion) => {
        setOptions({ ...init, headers: assertion ? { ...headers, [MEMBER_ASSERTION_HEADER]: assertion } : headers });
      });
    },
  };
}
