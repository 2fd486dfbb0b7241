import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { SUBGRAPH_SIGNATURE_HEADER, signSubgraphRequest } from '../../../partners/sdk/index.js';

/**
 * Signs each subgraph request body (HMAC-SHA256 with a timestamp, see subgraph-signature.ts):
 * the authenticated hop that makes subgraphs answer the gateway only. Header-based rather
 * than the runtime's `hmacSignature` option, whose verifier is a Yoga plugin (our subgraphs
 * are Apollo Server) and which signs into `extensions`, after the body is already parsed.
 */
export function signSubgraphRequests(secret: string, signs: (url: string) => boolean): GatewayPlugin {
  return {
    onFetch({ url, options, setOptions }) {
      if (!signs(url)) return;
      const body = typeof options.body === 'string' ? options.body : '';
      setOptions({ ...options, headers: { ...options.headers, [SUBGRAPH_SIGNATURE_HEADER]: signSubgraphRequest(secret, body) } });
    },
  };
}
