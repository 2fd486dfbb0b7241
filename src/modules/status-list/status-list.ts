import { deflateSync } from 'node:zlib';
import { SignJWT } from 'jose';
import type { SigningKeyStore } from '../keys/index.js';

/**
 * The IETF Token Status List (draft-ietf-oauth-status-list): a compressed bit array per
 * partner, one entry per token, published as a signed `statuslist+jwt`. Partners read a
 * token's entry offline, at `status.status_list { idx, uri }`.
 */

/** The `typ` header of a Status List Token. */
export const STATUS_LIST_TOKEN_TYPE = 'statuslist+jwt';
/** Media type a Status List Token is served with. */
export const STATUS_LIST_MEDIA_TYPE = 'application/statuslist+jwt';

/** Status values (draft §7.1). One bit per token: a revoked or suspended token is INVALID for good. */
export const TokenStatus = { VALID: 0, INVALID: 1 } as const;
export type TokenStatus = (typeof TokenStatus)[keyof typeof TokenStatus];

/** The `status` claim of an entitlement token. */
export interface StatusClaim {
  status_list: { idx: number; uri: string };
}

/** The `status_list` claim of a Status List Token. */
export interface StatusListClaim {
  bits: 1 | 2 | 4 | 8;
  /** base64url of the ZLIB-compressed (RFC 1950, DEFLATE) byte array. */
  lst: string;
  /** Where all the issuer's lists of this partner are listed (draft §9). */
  aggregation_uri?: string;
}

/**
 * A 1-bit status list of `size` entries with the given indices INVALID, ZLIB-compressed at
 * the highest level. Entry `i` is bit `i % 8` (least significant first) of byte `i / 8`.
 */
export function encodeStatusList(size: number, invalid: Iterable<number>): StatusListClaim {
  if (!Number.isInteger(size) || size <= 0) throw new TypeError(`a status list needs a positive size, got ${size}`);
  const bytes = new Uint8Array(Math.ceil(size / 8));
  for (const index of invalid) {
    if (!Number.isInteger(index) || index < 0 || index >= size) throw new RangeError(`index ${index} is outside a list of ${size}`);
    bytes[index >> 3]! |= 1 << (index & 7);
  }
  return { bits: 1, lst: deflateSync(bytes, { level: 9 }).toString('base64url') };
}

/** What a Status List Token says. */
export interface StatusListTokenInput {
  /** The list's URI: the `sub` claim, equal to the `uri` in the tokens it covers. */
  uri: string;
  /** Entries in the list (its capacity). */
  size: number;
  invalid: Iterable<number>;
  /** Seconds a relying party may cache it (`ttl`). */
  ttlSeconds: number;
  /** Seconds it stays valid (`exp` − `iat`). */
  lifetimeSeconds: number;
  aggregationUri?: string;
  now: Date;
}

/** Signs Status List Tokens with the same keys as entitlement tokens (one JWKS for both). */
export class StatusListTokenSigner {
  constructor(
    private readonly issuer: string,
    private readonly keyStore: SigningKeyStore,
  ) {}

  async sign(input: StatusListTokenInput): Promise<{ token: string; issuedAt: Date; expiresAt: Date }> {
    const key = await this.keyStore.signingKey();
    const iat = Math.floor(input.now.getTime() / 1000);
    const exp = iat + input.lifetimeSeconds;
    const statusList: StatusListClaim = encodeStatusList(input.size, input.invalid);
    if (input.aggregationUri) statusList.aggregation_uri = input.aggregationUri;
    const token = await new SignJWT({ status_list: statusList, ttl: input.ttlSeconds })
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: STATUS_LIST_TOKEN_TYPE })
      .setIssuer(this.issuer)
      .setSubject(input.uri)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(key.privateKey);
    return { token, issuedAt: new Date(iat * 1000), expiresAt: new Date(exp * 1000) };
  }
}
