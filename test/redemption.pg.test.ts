import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EntitlementTokenSigner } from '../src/modules/token/index.js';
import { FileSigningKeyStore } from '../src/modules/keys/index.js';
import { startTestApp, type TestApp } from './support/app.js';

const REDEEM = `mutation Redeem($token: String!, $key: String!, $units: Int) {
  redeemEntitlement(token: $token, idempotencyKey: $key, units: $units) { id units entitlement { id remaining } }
}`;
const ISSUE = `mutation Issue($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }`;

let t: TestApp;
let sparkwash: string;
let brewbar: string;

beforeAll(async () => {
  t = await startTestApp();
  sparkwash = await t.partnerKey('sparkwash');
  brewbar = await t.partnerKey('brewbar');
});
afterAll(async () => {
  await t?.close();
});

interface Member {
  bearer: string;
  entitlementIds: Record<string, string>;
}

async function newMember(): Promise<Member> {
  const { bearer, entitlementIds } = await t.subscribedMember();
  return { bearer, entitlementIds };
}

async function issue(member: Member, code = 'CAR_WASH'): Promise<string> {
  const res = await t.graphql(ISSUE, { id: member.entitlementIds[code] }, { bearer: member.bearer });
  expect(res.errors).toBeUndefined();
  return res.data.issueEntitlementToken.token;
}

/** Everything a bad request must leave untouched. */
async function ledgerSnapshot(): Promise<unknown> {
  const [row] = await t.db.query(
    `select (select count(*) from redemption)::int as redemptions,
            (select coalesce(sum(used), 0) from entitlement)::int as used,
            (select count(*) from membership)::int as memberships,
            (select count(*) from payment)::int as payments`,
  );
  return row;
}

async function expectRefused(request: Promise<{ errors?: Array<{ extensions?: { code?: string }; message: string }> }>, code: string, message?: RegExp) {
  const before = await ledgerSnapshot();
  const res = await request;
  expect(res.errors?.[0]?.extensions?.code).toBe(code);
  if (message) expect(res.errors?.[0]?.message).toMatch(message);
  expect(await ledgerSnapshot()).toEqual(before);
}

describe('redemption under real concurrency', () => {
  it('lets exactly 4 of 200 concurrent redemptions through a quota of 4, and the counter equals the redemption rows', async () => {
    const member = await newMember();
    const tokens: string[] = [];
    for (let batch = 0; batch < 10; batch++) {
      tokens.push(...(await Promise.all(Array.from({ length: 20 }, () => issue(member)))));
    }
    expect(new Set(tokens).size).toBe(200);

    const results = await Promise.all(
      tokens.map((token, i) => t.graphql(REDEEM, { token, key: `concurrent-${i}` }, { bearer: sparkwash })),
    );
    const accepted = results.filter((r) => r.data?.redeemEntitlement);
    const refused = results.filter((r) => r.errors);
    expect(accepted).toHaveLength(4);
    expect(refused).toHaveLength(196);
    expect(new Set(refused.map((r) => r.errors![0]!.extensions!.code))).toEqual(new Set(['QUOTA_EXHAUSTED']));

    const [row] = await t.db.query<{ used: number; quota: number; redeemed: number; rows: number }>(
      `select e.used, e.quota, coalesce(sum(r.units), 0)::int as redeemed, count(r.id)::int as rows
       from entitlement e left join redemption r on r.entitlement_id = e.id
       where e.id = $1 group by e.id`,
      [member.entitlementIds.CAR_WASH],
    );
    expect(row).toEqual({ used: 4, quota: 4, redeemed: 4, rows: 4 });
  });

  it('gives one effect and 50 identical answers for one idempotency key sent 50 times at once', async () => {
    const member = await newMember();
    const token = await issue(member);
    const results = await Promise.all(
      Array.from({ length: 50 }, () => t.graphql(REDEEM, { token, key: 'same-key-50' }, { bearer: sparkwash })),
    );
    for (const r of results) expect(r).toEqual(results[0]);
    expect(results[0]!.data.redeemEntitlement).toMatchObject({ units: 1, entitlement: { remaining: 3 } });
    const rows = await t.db.query(`select id from redemption where idempotency_key = 'same-key-50'`);
    expect(rows).toHaveLength(1);
    const [ent] = await t.db.query(`select used from entitlement where id = $1`, [member.entitlementIds.CAR_WASH]);
    expect(ent).toEqual({ used: 1 });
  });

  it('redeems one token sent 20 times at once under 20 idempotency keys once, and answers the other 19 ALREADY_REDEEMED', async () => {
    const member = await newMember();
    const token = await issue(member);
    const entitlementId = member.entitlementIds.CAR_WASH!;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => t.graphql(REDEEM, { token, key: `one-token-${i}` }, { bearer: sparkwash })),
    );
    const accepted = results.filter((r) => r.data?.redeemEntitlement);
    const refused = results.filter((r) => r.errors);
    expect(accepted).toHaveLength(1);
    expect(accepted[0]!.data.redeemEntitlement).toMatchObject({ units: 1, entitlement: { id: entitlementId, remaining: 3 } });
    expect(refused).toHaveLength(19);
    for (const r of refused) {
      expect(r.errors).toHaveLength(1);
      expect(r.errors![0]!.extensions?.code).toBe('ALREADY_REDEEMED');
      expect(r.errors![0]!.message).toBe('This token has already been redeemed; a token is presented once');
    }

    // One redemption row, the quota moved by one, one audit row: the 19 left no trace.
    const rows = await t.db.query(`select id, idempotency_key from redemption where entitlement_id = $1`, [entitlementId]);
    expect(rows).toEqual([{ id: accepted[0]!.data.redeemEntitlement.id, idempotency_key: expect.stringMatching(/^one-token-\d+$/) }]);
    const [ent] = await t.db.query(`select used from entitlement where id = $1`, [entitlementId]);
    expect(ent).toEqual({ used: 1 });
    const audit = await t.db.query(
      `select subject from audit_log where action = 'redemption.create' and after -> 'entitlement' ->> 'id' = $1`,
      [entitlementId],
    );
    expect(audit).toEqual([{ subject: rows[0]!.id }]);
  });

  it('subscribes once when the same purchase is sent 20 times at once', async () => {
    const bearer = await t.memberToken(`member-${randomUUID()}`);
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        t.graphql(`mutation { subscribe(planCode: "PLUS", idempotencyKey: "double-click") { id status } }`, {}, { bearer }),
      ),
    );
    const ids = new Set(results.map((r) => r.data?.subscribe?.id));
    expect(results.every((r) => !r.errors)).toBe(true);
    expect(ids.size).toBe(1);
    const me = await t.graphql(`{ me { entitlements { id } } }`, {}, { bearer });
    expect(me.data.me.entitlements).toHaveLength(4);
  });
});

describe('bad input gets a coded error and changes nothing', () => {
  it('refuses an unknown plan with NOT_FOUND', async () => {
    const bearer = await t.memberToken(`member-${randomUUID()}`);
    await expectRefused(
      t.graphql(`mutation { subscribe(planCode: "NOPE", idempotencyKey: "k") { id } }`, {}, { bearer }),
      'NOT_FOUND',
      /Plan NOPE not found/,
    );
  });

  it('refuses an empty plan code and idempotency key together, listing both', async () => {
    const bearer = await t.memberToken(`member-${randomUUID()}`);
    const before = await ledgerSnapshot();
    const res = await t.graphql(`mutation { subscribe(planCode: "", idempotencyKey: " ") { id } }`, {}, { bearer });
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.extensions?.problems).toEqual([
      { field: 'planCode', message: 'must not be empty' },
      { field: 'idempotencyKey', message: 'must not be empty' },
    ]);
    expect(await ledgerSnapshot()).toEqual(before);
  });

  it('refuses negative units with BAD_USER_INPUT', async () => {
    const token = await issue(await newMember());
    await expectRefused(t.graphql(REDEEM, { token, key: 'neg', units: -1 }, { bearer: sparkwash }), 'BAD_USER_INPUT', /units/);
  });

  it('refuses an empty idempotency key with BAD_USER_INPUT', async () => {
    const token = await issue(await newMember());
    await expectRefused(t.graphql(REDEEM, { token, key: '' }, { bearer: sparkwash }), 'BAD_USER_INPUT', /idempotencyKey/);
  });

  it('refuses more units than remain with QUOTA_EXHAUSTED', async () => {
    const token = await issue(await newMember());
    await expectRefused(t.graphql(REDEEM, { token, key: 'five', units: 5 }, { bearer: sparkwash }), 'QUOTA_EXHAUSTED');
  });

  it('refuses the same idempotency key with another token with IDEMPOTENCY_CONFLICT, leaving that token unused', async () => {
    const member = await newMember();
    const [first, second] = [await issue(member), await issue(member)];
    const done = await t.graphql(REDEEM, { token: first, key: 'conflict-token' }, { bearer: sparkwash });
    expect(done.errors).toBeUndefined();
    await expectRefused(
      t.graphql(REDEEM, { token: second, key: 'conflict-token' }, { bearer: sparkwash }),
      'IDEMPOTENCY_CONFLICT',
      /^This idempotency key was already used with a different request$/,
    );
    // The other token was not consumed: a request of its own redeems it.
    const own = await t.graphql(REDEEM, { token: second, key: 'conflict-token-own' }, { bearer: sparkwash });
    expect(own.errors).toBeUndefined();
    expect(own.data.redeemEntitlement).toMatchObject({ units: 1, entitlement: { remaining: 2 } });
  });

  it('refuses the same idempotency key and token with other units with IDEMPOTENCY_CONFLICT, taking nothing more', async () => {
    const member = await newMember();
    const token = await issue(member);
    const done = await t.graphql(REDEEM, { token, key: 'conflict-units' }, { bearer: sparkwash });
    expect(done.errors).toBeUndefined();
    await expectRefused(
      t.graphql(REDEEM, { token, key: 'conflict-units', units: 2 }, { bearer: sparkwash }),
      'IDEMPOTENCY_CONFLICT',
      /^This idempotency key was already used with a different request$/,
    );
    const [ent] = await t.db.query(`select used from entitlement where id = $1`, [member.entitlementIds.CAR_WASH]);
    expect(ent).toEqual({ used: 1 });
  });

  it('refuses a brewbar token redeemed by sparkwash with TOKEN_INVALID naming the audience, and brewbar can still redeem it', async () => {
    const member = await newMember();
    const token = await issue(member, 'COFFEE');
    await expectRefused(
      t.graphql(REDEEM, { token, key: 'foreign-aud' }, { bearer: sparkwash }),
      'TOKEN_INVALID',
      /^Invalid entitlement token: the token was issued to another partner$/,
    );
    const check = await t.graphql(`query($token: String!) { checkEntitlementToken(token: $token) { valid alreadyRedeemed problem } }`, { token }, { bearer: brewbar });
    expect(check.data.checkEntitlementToken).toEqual({ valid: true, alreadyRedeemed: false, problem: null });
    const own = await t.graphql(REDEEM, { token, key: 'foreign-aud' }, { bearer: brewbar });
    expect(own.errors).toBeUndefined();
    expect(own.data.redeemEntitlement).toMatchObject({ units: 1, entitlement: { id: member.entitlementIds.COFFEE, remaining: 9 } });
  });

  it("refuses a partner redeeming another partner's token with TOKEN_INVALID", async () => {
    const token = await issue(await newMember(), 'CAR_WASH');
    await expectRefused(t.graphql(REDEEM, { token, key: 'foreign' }, { bearer: brewbar }), 'TOKEN_INVALID');
  });

  it("answers NOT_FOUND to a member asking for another member's entitlement, exactly as for an unknown id", async () => {
    const owner = await newMember();
    const other = await t.memberToken(`member-${randomUUID()}`);
    const foreign = await t.graphql(ISSUE, { id: owner.entitlementIds.CAR_WASH }, { bearer: other });
    const unknown = await t.graphql(ISSUE, { id: randomUUID() }, { bearer: other });
    const malformed = await t.graphql(ISSUE, { id: 'not-a-uuid' }, { bearer: other });
    expect(foreign.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(malformed.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const [tokens] = await t.db.query(`select count(*)::int as n from issued_token where entitlement_id = $1`, [owner.entitlementIds.CAR_WASH]);
    expect(tokens).toEqual({ n: 0 });
  });
});

describe('forged and stale tokens', () => {
  async function keyStore() {
    return FileSigningKeyStore.open(t.keysDir);
  }

  function claimsOf(token: string): Record<string, unknown> {
    return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
  }

  it('refuses a token whose payload was changed with TOKEN_INVALID', async () => {
    const member = await newMember();
    const token = await issue(member);
    const [h, , s] = token.split('.');
    const payload = Buffer.from(JSON.stringify({ ...claimsOf(token), ent: member.entitlementIds.STREAMING_VIP })).toString('base64url');
    await expectRefused(t.graphql(REDEEM, { token: `${h}.${payload}.${s}`, key: 'tampered' }, { bearer: sparkwash }), 'TOKEN_INVALID');
  });

  it('refuses an expired token with TOKEN_EXPIRED', async () => {
    const member = await newMember();
    const live = claimsOf(await issue(member));
    const anHourAgo = new Date(Date.now() - 3600_000);
    const signer = new EntitlementTokenSigner({ issuer: 'http://issuer.test', keyStore: await keyStore(), ttlSeconds: 600, now: () => anHourAgo });
    const stale = await signer.sign({
      partnerId: 'sparkwash',
      subject: String(live.sub),
      entitlementId: member.entitlementIds.CAR_WASH!,
      benefitCode: 'CAR_WASH',
    });
    await expectRefused(t.graphql(REDEEM, { token: stale.token, key: 'expired' }, { bearer: sparkwash }), 'TOKEN_EXPIRED');
  });

  it('refuses a token signed with our key but typed as a plain JWT with TOKEN_INVALID', async () => {
    const member = await newMember();
    const claims = claimsOf(await issue(member));
    const key = await (await keyStore()).signingKey();
    const plainJwt = await new SignJWT({ ...claims, jti: randomUUID() })
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'JWT' })
      .sign(key.privateKey);
    await expectRefused(t.graphql(REDEEM, { token: plainJwt, key: 'wrong-typ' }, { bearer: sparkwash }), 'TOKEN_INVALID', /typ/);
  });

  it('refuses a token for another audience signed with our key with TOKEN_INVALID', async () => {
    const member = await newMember();
    const claims = claimsOf(await issue(member));
    const key = await (await keyStore()).signingKey();
    const wrongAud = await new SignJWT({ ...claims, aud: 'streamflix', jti: randomUUID() })
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'entitlement+jwt' })
      .sign(key.privateKey);
    await expectRefused(t.graphql(REDEEM, { token: wrongAud, key: 'wrong-aud' }, { bearer: sparkwash }), 'TOKEN_INVALID');
  });

  it('refuses garbage with TOKEN_INVALID', async () => {
    await expectRefused(t.graphql(REDEEM, { token: 'not.a.token', key: 'garbage' }, { bearer: sparkwash }), 'TOKEN_INVALID');
  });
});

describe('the redemption ledger', () => {
  it('refuses UPDATE and DELETE at the database level', async () => {
    const member = await newMember();
    const token = await issue(member);
    const res = await t.graphql(REDEEM, { token, key: 'ledger' }, { bearer: sparkwash });
    const id = res.data.redeemEntitlement.id;
    await expect(t.db.query(`update redemption set units = 2 where id = $1`, [id])).rejects.toThrow(/append-only/);
    await expect(t.db.query(`delete from redemption where id = $1`, [id])).rejects.toThrow(/append-only/);
    expect(await t.db.query(`select units from redemption where id = $1`, [id])).toEqual([{ units: 1 }]);
  });
});

describe('redemptions racing the end of a right', () => {
  // Found by the fuzzer: redeem wrote the entitlement row twice in its transaction, and the
  // second write re-checked the row's foreign keys (KEY SHARE on membership and member)
  // while a refund or an erasure held them and waited on the entitlement: a deadlock,
  // answered as INTERNAL_SERVER_ERROR.
  it('never deadlocks with a refund or an erasure of the same member: every answer is coded', async () => {
    const admin = await t.adminToken('ops');
    const answers: string[] = [];
    for (let trial = 0; trial < 30; trial++) {
      const member = await t.subscribedMember();
      const tokens = await Promise.all([0, 1, 2].map(() => issue(member)));
      const end =
        trial % 2 === 0
          ? t.graphql(`mutation($id: ID!) { refundMembership(membershipId: $id) { status } }`, { id: member.membershipId }, { bearer: admin })
          : t.graphql(`mutation($id: ID!) { eraseMember(memberId: $id, reason: "race test") { rightsRevoked } }`, { id: member.memberId }, { bearer: admin });
      // The end of the right is sent first; the redemptions follow, staggered over its run.
      const results = await Promise.all([
        ...tokens.map(async (token, k) => {
          await new Promise((resolve) => setTimeout(resolve, (trial % 4) * 4 + k * 3));
          return t.graphql(REDEEM, { token, key: randomUUID() }, { bearer: sparkwash });
        }),
        end,
      ]);
      const [ended, ...redeemed] = [results.at(-1)!, ...results.slice(0, -1)];
      expect(ended.errors, JSON.stringify(ended.errors)).toBeUndefined();
      for (const result of redeemed) {
        const code = result.errors?.[0]?.extensions?.code ?? 'OK';
        answers.push(code);
        expect(['OK', 'ENTITLEMENT_INACTIVE'], JSON.stringify(result.errors)).toContain(code);
      }
      const [row] = await t.db.query<{ used: number; rows: number }>(
        `select e.used, (select count(*)::int from redemption r where r.entitlement_id = e.id) as rows from entitlement e where e.id = $1`,
        [member.entitlementIds.CAR_WASH],
      );
      expect(row!.used).toBe(row!.rows);
    }
    // Both outcomes happened among the redemptions: the race was real.
    expect(answers).toContain('OK');
    expect(answers).toContain('ENTITLEMENT_INACTIVE');
  });
});
