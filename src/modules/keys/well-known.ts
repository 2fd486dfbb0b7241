import type { JWK } from 'jose';
import type { SigningKeyStore } from './signing-key-store.js';

/** The `typ` header of every entitlement token (RFC 8725 explicit typing). */
export const ENTITLEMENT_TOKEN_TYPE = 'entitlement+jwt';

/** The `typ` header of a membership card token: shown at a partner's till to earn and burn points. */
export const MEMBERSHIP_CARD_TOKEN_TYPE = 'membership-card+jwt';

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

/** How long partners may cache the JWKS when no rotation lead time says otherwise. */
const JWKS_MAX_AGE_SECONDS = 300;
const JWKS_STALE_SECONDS = 60;

/**
 * `Cache-Control` of `GET /.well-known/jwks.json`: `public, max-age=300, stale-while-revalidate=60`,
 * shortened so that a cached copy (max-age plus stale-while-revalidate) is never older than
 * half the rotation lead time: partners always hold a new key before it signs anything.
 */
export function jwksCacheControl(rotationLeadSeconds: number): string {
  const quarter = Math.max(0, Math.floor(rotationLeadSeconds / 4));
  const maxAge = Math.min(JWKS_MAX_AGE_SECONDS, quarter);
  if (maxAge === 0) return 'public, max-age=0, must-revalidate';
  return `public, max-age=${maxAge}, stale-while-revalidate=${Math.min(JWKS_STALE_SECONDS, quarter)}`;
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
