import type { IncomingMessage } from 'node:http';
import { getOperationAST, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { cachedMemberIdentities, callerOf, clientAddress, createRateLimiter, operationCost, verifiedCallerOf } from './rate-limit.js';

function cost(source: string, operationName?: string) {
  const document = parse(source);
  return operationCost(document, getOperationAST(document, operationName)!);
}

const unsignedJwt = (claims: object) =>
  `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;

describe('operationCost', () => {
  it('counts a query as 1, however many root fields it selects', () => {
    expect(cost('{ plans { code } me { id } a: plans { code } }')).toEqual({ kind: 'query', cost: 1 });
  });

  it('counts each aliased root mutation field', () => {
    const aliases = Array.from({ length: 10 }, (_, i) => `r${i}: redeemEntitlement(token: "t${i}", idempotencyKey: "k${i}") { id }`);
    expect(cost(`mutation { ${aliases.join(' ')} }`)).toEqual({ kind: 'mutation', cost: 10 });
  });

  it('resolves fragment spreads and inline fragments on Mutation, nested ones included', () => {
    const source = `
      mutation Many { a: subscribe(planCode: "PLUS", idempotencyKey: "1") { id } ...Two ... on Mutation { d: voidRedemption(redemptionId: "r", reason: "x") { id } } }
      fragment Two on Mutation { b: issueEntitlementToken(entitlementId: "e") { token } ...One }
      fragment One on Mutation { c: issueEntitlementToken(entitlementId: "f") { token } }`;
    expect(cost(source, 'Many')).toEqual({ kind: 'mutation', cost: 4 });
  });

  it('counts a response key once: repeated selections and a fragment spread twice merge into one call', () => {
    const source = `
      mutation { issueEntitlementToken(entitlementId: "e") { token } issueEntitlementToken(entitlementId: "e") { expiresAt } ...F ...F }
      fragment F on Mutation { x: issueEntitlementToken(entitlementId: "g") { token } }`;
    expect(cost(source)).toEqual({ kind: 'mutation', cost: 2 });
  });

  it('does not charge for __typename, and never less than 1', () => {
    expect(cost('mutation { __typename }')).toEqual({ kind: 'mutation', cost: 1 });
    expect(cost('mutation { __typename a: subscribe(planCode: "PLUS", idempotencyKey: "1") { id } }').cost).toBe(1);
  });

  it('counts fields under @skip/@include too, so the cost never falls short', () => {
    expect(cost('mutation($no: Boolean!) { a: claimVoucher(entitlementId: "e") @skip(if: $no) { code } b: claimVoucher(entitlementId: "f") { code } }').cost).toBe(2);
  });

  it('picks the named operation of a document holding several', () => {
    const source = 'query Q { plans { code } } mutation M { a: subscribe(planCode: "P", idempotencyKey: "1") { id } b: subscribe(planCode: "P", idempotencyKey: "2") { id } }';
    expect(cost(source, 'Q')).toEqual({ kind: 'query', cost: 1 });
    expect(cost(source, 'M')).toEqual({ kind: 'mutation', cost: 2 });
  });
});

describe('callerOf', () => {
  const address = () => '203.0.113.7';

  it('buckets a partner by the SHA-256 of its key, never the key itself', () => {
    const caller = callerOf('Bearer cgk_secret', address);
    expect(caller.kind).toBe('partner');
    expect(caller.key).toMatch(/^[0-9a-f]{64}$/);
    expect(callerOf('bearer cgk_secret', address)).toEqual(caller);
    expect(callerOf('Bearer cgk_other', address).key).not.toBe(caller.key);
  });

  it('buckets a member by the unverified iss and sub, whatever else the token says', () => {
    const one = callerOf(`Bearer ${unsignedJwt({ iss: 'https://idp', sub: 'alice', iat: 1 })}`, address);
    const again = callerOf(`Bearer ${unsignedJwt({ iss: 'https://idp', sub: 'alice', iat: 2 })}`, address);
    const other = callerOf(`Bearer ${unsignedJwt({ iss: 'https://idp', sub: 'bob' })}`, address);
    const otherIssuer = callerOf(`Bearer ${unsignedJwt({ iss: 'https://other', sub: 'alice' })}`, address);
    expect(one.kind).toBe('member');
    expect(again).toEqual(one);
    expect(new Set([one.key, other.key, otherIssuer.key]).size).toBe(3);
  });

  it('counts an unreadable credential, or none, against the client address', () => {
    const anonymous = callerOf(null, address);
    expect(anonymous.kind).toBe('anonymous');
    expect(callerOf('Bearer not-a-jwt', address)).toEqual(anonymous);
    expect(callerOf(`Bearer ${unsignedJwt({ sub: 'no-issuer' })}`, address)).toEqual(anonymous);
    expect(callerOf('Basic abc', address)).toEqual(anonymous);
  });
});

describe('clientAddress', () => {
  const req = (remoteAddress: string) => ({ socket: { remoteAddress } }) as unknown as IncomingMessage;

  it('uses the socket address and ignores X-Forwarded-For unless proxies are trusted', () => {
    expect(clientAddress(req('::ffff:10.0.0.5'), '198.51.100.1', 0)).toBe('10.0.0.5');
  });

  it('takes the entry the outermost trusted proxy saw, not what the client wrote further left', () => {
    expect(clientAddress(req('10.0.0.5'), 'spoofed, 198.51.100.1', 1)).toBe('198.51.100.1');
    expect(clientAddress(req('10.0.0.5'), 'spoofed, 198.51.100.1, 10.0.0.9', 2)).toBe('198.51.100.1');
    expect(clientAddress(req('10.0.0.5'), '198.51.100.1', 5)).toBe('198.51.100.1');
  });
});

describe('createRateLimiter (in memory)', () => {
  const settings = {
    windowSeconds: 60,
    memberQueries: 3,
    memberMutations: 5,
    partnerQueries: 3,
    partnerMutations: 5,
    anonymous: 2,
    keyPrefix: `unit-${process.pid}`,
  };

  it('admits an operation whole or not at all, and a refused one takes nothing from the budget', async () => {
    const limiter = createRateLimiter(settings);
    const partner = { kind: 'partner' as const, key: 'p1' };
    expect(await limiter.take(partner, 'mutation', 3)).toMatchObject({ allowed: true, limit: 5, remaining: 2 });
    const refused = await limiter.take(partner, 'mutation', 3);
    expect(refused).toMatchObject({ allowed: false, limit: 5, remaining: 0 });
    expect(refused.resetSeconds).toBeGreaterThan(0);
    expect(await limiter.take(partner, 'mutation', 2)).toMatchObject({ allowed: true, remaining: 0 });
    expect((await limiter.take(partner, 'mutation', 1)).allowed).toBe(false);
    // Queries have their own budget.
    expect((await limiter.take(partner, 'query', 1)).allowed).toBe(true);
    await limiter.close();
  });

  it('refuses an operation costing more than the whole budget without a time to retry', async () => {
    const limiter = createRateLimiter(settings);
    const decision = await limiter.take({ kind: 'member', key: 'm1' }, 'mutation', 6);
    expect(decision).toEqual({ allowed: false, limit: 5, remaining: 0 });
    expect((await limiter.take({ kind: 'member', key: 'm1' }, 'mutation', 5)).allowed).toBe(true);
  });

  it('gives anonymous callers one budget for queries and mutations', async () => {
    const limiter = createRateLimiter(settings);
    const anonymous = { kind: 'anonymous' as const, key: 'ip' };
    expect((await limiter.take(anonymous, 'query', 1)).allowed).toBe(true);
    expect((await limiter.take(anonymous, 'mutation', 1)).allowed).toBe(true);
    expect((await limiter.take(anonymous, 'query', 1)).allowed).toBe(false);
  });
});

describe('verified member buckets', () => {
  const valid = unsignedJwt({ iss: 'https://idp.example', sub: 'alice' });
  const forged = unsignedJwt({ iss: 'https://idp.example', sub: 'mallory' });
  function verifier() {
    const calls: string[] = [];
    return {
      calls,
      async verify(jwt: string) {
        calls.push(jwt);
        if (jwt !== valid) throw new Error('bad signature');
        return { iss: 'https://idp.example', sub: 'alice', exp: 2_000 };
      },
    };
  }

  it('buckets a verified token by its subject, and a forged one by the client address', async () => {
    const identities = cachedMemberIdentities(verifier(), () => 1_000_000);
    const alice = await verifiedCallerOf(`Bearer ${valid}`, () => '10.0.0.1', identities);
    expect(alice).toEqual(callerOf(`Bearer ${valid}`, () => '10.0.0.1'));
    expect(alice.kind).toBe('member');
    const mallory = await verifiedCallerOf(`Bearer ${forged}`, () => '10.0.0.1', identities);
    expect(mallory).toEqual(callerOf(undefined, () => '10.0.0.1'));
    expect(mallory.kind).toBe('anonymous');
  });

  it('verifies a token once until it expires, and never caches a refusal', async () => {
    let now = 1_000_000;
    const v = verifier();
    const identities = cachedMemberIdentities(v, () => now);
    for (let i = 0; i < 3; i++) expect(await identities.identify(valid)).toMatchObject({ sub: 'alice' });
    expect(v.calls).toHaveLength(1);
    now = 2_000_001;
    await identities.identify(valid);
    expect(v.calls).toHaveLength(2);
    expect(await identities.identify(forged)).toBeNull();
    expect(await identities.identify(forged)).toBeNull();
    expect(v.calls.filter((c) => c === forged)).toHaveLength(2);
  });
});
