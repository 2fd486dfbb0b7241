import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { MemberPseudonymizer, SigningKeyStore } from '../modules/keys/index.js';

/** The `typ` of the member assertions a registered partner subgraph receives. */
export const MEMBER_ASSERTION_TYPE = 'member-assertion+jwt';
/** The header carrying it. */
export const MEMBER_ASSERTION_HEADER = 'x-coalition-member-assertion';

export interface MemberAssertionsOptions {
  /** The `iss`: our PUBLIC_URL, as in entitlement tokens. */
  issuer: string;
  /** Our signing keys (the same JWKS partners verify entitlement tokens with). */
  keyStore: SigningKeyStore;
  pseudonyms: MemberPseudonymizer;
  /** Our member id for an identity provider's (`iss`, `sub`); null when no such member (yet, or erased). */
  memberIdOf(issuer: string, subject: string): Promise<string | null>;
  /** Lifetime of an assertion in seconds. @default 60 */
  ttlSeconds?: number;
  now?: () => number;
}

const MAX_CACHED = 10_000;

/**
 * What a partner's own registered subgraph learns about the member behind a request: a
 * short-lived JWT we sign (`typ: member-assertion+jwt`, `aud` = the partner, `sub` = that
 * partner's pseudonym of the member, the same as in its entitlement tokens), never the
 * member's credential, our member id or the identity provider's subject, which would link the
 * member across partners. Assertions are reused until a quarter of their lifetime is left.
 */
export class MemberAssertions {
  private readonly cache = new Map<string, { jwt: string; renewAt: number }>();
  private readonly ttlSeconds: number;
  private readonly now: () => number;

  constructor(private readonly options: MemberAssertionsOptions) {
    this.ttlSeconds = options.ttlSeconds ?? 60;
    this.now = options.now ?? Date.now;
  }

  /** The assertion for `partnerId` about the member signed in as (`iss`, `sub`); null when we know no such member. */
  async for(identity: { iss: string; sub: string }, partnerId: string): Promise<string | null> {
    const key = `${identity.iss}\u0000${identity.sub}\u0000${partnerId}`;
    const cached = this.cache.get(key);
    if (cached && cached.renewAt > this.now()) return cached.jwt;
    const memberId = await this.options.memberIdOf(identity.iss, identity.sub);
    if (!memberId) return null;
    const key$ = await this.options.keyStore.signingKey();
    const issuedAt = Math.floor(this.now() / 1000);
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: key$.alg, kid: key$.kid, typ: MEMBER_ASSERTION_TYPE })
      .setIssuer(this.options.issuer)
      .setAudience(partnerId)
      .setSubject(this.options.pseudonyms.forPartner(memberId, partnerId))
      .setJti(randomUUID())
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + this.ttlSeconds)
      .sign(key$.privateKey);
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
    this.cache.set(key, { jwt, renewAt: this.now() + (this.ttlSeconds * 1000 * 3) / 4 });
    return jwt;
  }
}
