import type { JWK } from 'jose';
import { ENTITLEMENT_TOKEN_TYPE } from './entitlement-token.js';
import type { SigningKeyStore } from './signing-key-store.js';

/** Body of `GET /.well-known/entitlement-issuer`: how partners find and check our tokens. */
export interface IssuerMetadata {
  /** The `iss` of every token. */
  issuer: string;
  /** Where the public signing keys are: `<issuer>/.well-known/jwks.json`. */
  jwks_uri: string;
  token_type: typeof ENTITLEMENT_TOKEN_TYPE;
  signing_alg_values_supported: ['EdDSA'];
  /** Where the token status lists (IETF Token Status List) live: `<issuer>/.well-known/status-lists`. */
  status_list_uri: string;
  /** Where partners redeem tokens: `<issuer>/graphql` (`redeemEntitlement`). */
  redemption_endpoint: string;
  /** Lifetime of a token, when the caller says. */
  token_ttl_seconds?: number;
}

/** Options of {@link issuerMetadata}. */
export interface IssuerMetadataOptions {
  /** Published as `token_ttl_seconds` when set. */
  tokenTtlSeconds?: number;
}

/** Body of `GET /.well-known/jwks.json`: the public keys only. */
export async function jwksDocument(keyStore: SigningKeyStore): Promise<{ keys: JWK[] }> {
  return { keys: await keyStore.publicJwks() };
}

/** Body of `GET /.well-known/entitlement-issuer`. */
export function issuerMetadata(issuer: string, options: IssuerMetadataOptions = {}): IssuerMetadata {
  // `issuer` stays exactly as tokens carry it; only the derived URLs avoid a double slash.
  const base = issuer.replace(/\/+$/, '');
  return {
    issuer,
    jwks_uri: `${base}/.well-known/jwks.json`,
    token_type: ENTITLEMENT_TOKEN_TYPE,
    signing_alg_values_supported: ['EdDSA'],
    status_list_uri: `${base}/.well-known/status-lists`,
    redemption_endpoint: `${base}/graphql`,
    ...(options.tokenTtlSeconds !== undefined ? { token_ttl_seconds: options.tokenTtlSeconds } : {}),
  };
}
