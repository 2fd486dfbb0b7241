import { createHash } from 'node:crypto';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type CryptoKey } from 'jose';
import { AppError } from '../../platform/errors.js';
import { DEV_ISSUER } from './dev-issuer.js';
import type { Principal, StaffRole } from '../../platform/principal.js';
import { ANONYMOUS, memberPrincipal, STAFF_ROLES } from '../../platform/principal.js';

/** Prefix of partner API keys; anything else is treated as a JWT. */
export const PARTNER_KEY_PREFIX = 'cgk_';
/** Our channels' API keys: `cgc_<channel>_<random>`. */
export const CHANNEL_KEY_PREFIX = 'cgc_';

export interface TrustedIssuer {
  issuer: string;
  /** JWKS of the issuer (remote for a real provider, a local key for the dev issuer). */
  key: JWTVerifyGetKey | CryptoKey;
}

export interface AuthenticatorOptions {
  issuers: TrustedIssuer[];
  audience: string;
  /** Claim holding the caller's roles: an array of strings, or one string of names separated by spaces or commas. */
  roleClaim: string;
  /** The claim value of each staff role (`AUTH_ADMIN_ROLE`, `AUTH_PM_ROLE`, …: `staffRoleValues(config.auth)`). */
  staffRoles: Readonly<Record<StaffRole, string>>;
  /** Finds or creates the member for an identity-provider subject. */
  resolveMember(issuer: string, subject: string): Promise<string>;
  /** Finds the active API key by its SHA-256; null when unknown or revoked. */
  resolvePartnerKey(keyHash: string): Promise<{ partnerId: string; apiKeyId: string } | null>;
  /** Our channels' keys (absent: none are accepted). */
  resolveChannelKey?(keyHash: string): Promise<{ channel: string; apiKeyId: string } | null>;
}

/**
 * Verifies member and admin JWTs from the trusted issuers (signature, issuer, audience,
 * expiry), without touching the database: what the authenticator and the gateway's
 * rate limiter share.
 */
export class IdentityTokenVerifier {
  private readonly byIssuer: Map<string, TrustedIssuer>;
  /** Credentials verified lately, by their exact text: a member's app sends the same one on every page. */
  private readonly verified = new Map<string, { payload: JWTPayload & { iss: string; sub: string }; until: number }>();
  private static readonly MAX_VERIFIED = 20_000;
  /** How long a verification is reused at most (an issuer's withdrawn key stops working within it). */
  private static readonly REUSE_MS = 60_000;

  constructor(
    issuers: TrustedIssuer[],
    private readonly audience: string,
    private readonly clock: () => number = Date.now,
  ) {
    this.byIssuer = new Map(issuers.map((i) => [i.issuer, i]));
  }

  /**
   * The verified claims, with `iss` and `sub` present. The same credential verified in the last
   * minute is not verified again (its signature cannot have changed): its claims are reused
   * until then or until it expires, whichever is first; only good credentials are remembered.
   *
   * @throws AppError `UNAUTHENTICATED` saying why (untrusted issuer, expired, invalid, no subject).
   */
  async verify(jwt: string): Promise<JWTPayload & { iss: string; sub: string }> {
    const now = this.clock();
    const known = this.verified.get(jwt);
    if (known && known.until > now) return known.payload;
    const payload = await this.verifyNow(jwt);
    // Reused no longer than the credential lives (jose's own check decides at its expiry, tolerance included).
    const until = Math.min(now + IdentityTokenVerifier.REUSE_MS, typeof payload.exp === 'number' ? payload.exp * 1000 : now);
    if (until > now) {
      if (this.verified.size >= IdentityTokenVerifier.MAX_VERIFIED) this.verified.clear();
      this.verified.set(jwt, { payload, until });
    }
    return payload;
  }

  private async verifyNow(jwt: string): Promise<JWTPayload & { iss: string; sub: string }> {
    let payload: JWTPayload;
    try {
      const unverifiedIssuer = readIssuer(jwt);
      const trusted = unverifiedIssuer ? this.byIssuer.get(unverifiedIssuer) : undefined;
      if (!trusted) throw AppError.unauthenticated('Credential from an untrusted issuer');
      const result =
        typeof trusted.key === 'function'
          ? await jwtVerify(jwt, trusted.key, { issuer: trusted.issuer, audience: this.audience, clockTolerance: 30 })
          : await jwtVerify(jwt, trusted.key, { issuer: trusted.issuer, audience: this.audience, clockTolerance: 30 });
      payload = result.payload;
    } catch (error) {
      if (error instanceof AppError) throw error;
      if (error instanceof joseErrors.JWTExpired) throw AppError.unauthenticated('Credential expired');
      throw AppError.unauthenticated('Invalid credential');
    }
    if (!payload.sub || !payload.iss) throw AppError.unauthenticated('Credential has no subject');
    return payload as JWTPayload & { iss: string; sub: string };
  }
}

/** Turns an `Authorization` header into a {@link Principal}. */
export class Authenticator {
  /** Its JWT verifier (one JWKS cache per issuer), for others that must verify the same tokens. */
  readonly tokens: IdentityTokenVerifier;

  constructor(private readonly options: AuthenticatorOptions) {
    this.tokens = new IdentityTokenVerifier(options.issuers, options.audience);
  }

  /** Trusted issuers for the configuration: the identity provider and, outside production, the dev issuer. */
  static issuersFor(config: { issuer?: string | undefined; jwksUrl?: string | undefined }, devKey?: CryptoKey): TrustedIssuer[] {
    const issuers: TrustedIssuer[] = [];
    if (config.issuer && config.jwksUrl) {
      issuers.push({ issuer: config.issuer, key: createRemoteJWKSet(new URL(config.jwksUrl)) });
    }
    if (devKey) issuers.push({ issuer: DEV_ISSUER, key: devKey });
    return issuers;
  }

  async authenticate(authorization: string | null | undefined): Promise<Principal> {
    if (!authorization) return ANONYMOUS;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match?.[1]) throw AppError.unauthenticated('Malformed Authorization header: expected "Bearer <credential>"');
    const credential = match[1];
    if (credential.startsWith(PARTNER_KEY_PREFIX)) return this.authenticatePartner(credential);
    if (credential.startsWith(CHANNEL_KEY_PREFIX)) return this.authenticateChannel(credential);
    return this.authenticateJwt(credential);
  }

  private async authenticateChannel(key: string): Promise<Principal> {
    const found = await this.options.resolveChannelKey?.(hashApiKey(key));
    if (!found) throw AppError.unauthenticated('Unknown or revoked channel API key');
    return { kind: 'channel', ...found };
  }

  private async authenticatePartner(key: string): Promise<Principal> {
    const found = await this.options.resolvePartnerKey(hashApiKey(key));
    if (!found) throw AppError.unauthenticated('Unknown or revoked partner API key');
    return { kind: 'partner', ...found };
  }

  private async authenticateJwt(jwt: string): Promise<Principal> {
    const payload = await this.tokens.verify(jwt);
    const memberId = await this.options.resolveMember(payload.iss, payload.sub);
    const roles = payload[this.options.roleClaim];
    const roleList: unknown[] = Array.isArray(roles) ? roles : typeof roles === 'string' ? roles.split(/[\s,]+/) : [];
    const staffRoles = STAFF_ROLES.filter((role) => roleList.includes(this.options.staffRoles[role]));
    return memberPrincipal({ memberId, issuer: payload.iss, subject: payload.sub, staffRoles });
  }
}

/** Hex SHA-256 of an API key: what is stored and looked up. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

function readIssuer(jwt: string): string | undefined {
  const [, payload] = jwt.split('.');
  if (!payload) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iss?: unknown };
    return typeof parsed.iss === 'string' ? parsed.iss : undefined;
  } catch {
    return undefined;
  }
}
