// The partner-facing API: a partner's own benefits, redemptions (keyset pages, period and
// benefit filters), settlement statement, token checks that consume nothing, and voids that
// give the quota back through a compensating entry, on a real PostgreSQL through the gateway.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaffRole } from '../src/platform/principal.js';
import { startTestApp, type TestApp } from './support/app.js';

const ISSUE = `mutation Issue($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }`;
const REDEEM = `mutation Redeem($token: String!, $key: String!, $units: Int) {
  redeemEntitlement(token: $token, idempotencyKey: $key, units: $units) { id units entitlement { id remaining } }
}`;
const PAGE = `query Page($first: Int, $after: String, $from: DateTimeISO, $to: DateTimeISO, $benefitCode: String) {
  partnerRedemptions(first: $first, after: $after, from: $from, to: $to, benefitCode: $benefitCode) {
    edges { cursor node { id units createdAt memberPseudonym voided voidedAt benefit { code } entitlement { id remaining } } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const SETTLEMENT = `query Settlement($from: DateTimeISO!, $to: DateTimeISO!) {
  partnerSettlement(from: $from, to: $to) {
    partner { id } from to currency
    lines { benefit { code } redemptions voidedRedemptions units unitPrice { amount currency } amount { amount currency } }
    totalRedemptions totalVoidedRedemptions totalUnits totalAmount { amount currency }
  }
}`;
const CHECK = `query Check($token: String!) {
  checkEntitlementToken(token: $token) {
    valid alreadyRedeemed problem expiresAt entitlement { id remaining status } benefit { code }
  }
}`;
const VOID = `mutation Void($id: ID!, $reason: String!) {
  voidRedemption(redemptionId: $id, reason: $reason) { id units voided voidedAt voidReason entitlement { id remaining } }
}`;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

// The app's clock: the tests move it forward to order redemptions, expire tokens and close windows.
let clock = new Date();
const advance = (ms: number) => {
  clock = new Date(clock.getTime() + ms);
};

let t: TestApp;
let sparkwash: string;
let brewbar: string;
const statements: string[] = [];

beforeAll(async () => {
  t = await startTestApp({ now: () => clock, onQuery: (message) => statements.push(message) });
  sparkwash = await t.partnerKey('sparkwash');
  brewbar = await t.partnerKey('brewbar');
});
afterAll(async () => {
  await t?.close();
});

interface Member {
  bearer: string;
  id: string;
  entitlementIds: Record<string, string>;
}

async function newMember(): Promise<Member> {
  const { bearer, memberId, entitlementIds } = await t.subscribedMember();
  return { bearer, id: memberId, entitlementIds };
}

async function issue(member: Member, code = 'CAR_WASH'): Promise<string> {
  const res = await t.graphql(ISSUE, { id: member.entitlementIds[code] }, { bearer: member.bearer });
  expect(res.errors).toBeUndefined();
  return res.data.issueEntitlementToken.token;
}

/** Issues a token and redeems it; returns the redemption id. */
async function redeem(member: Member, options: { code?: string; units?: number; bearer?: string } = {}): Promise<string> {
  const token = await issue(member, options.code);
  const res = await t.graphql(REDEEM, { token, key: randomUUID(), units: options.units ?? 1 }, { bearer: options.bearer ?? sparkwash });
  expect(res.errors).toBeUndefined();
  return res.data.redeemEntitlement.id;
}

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

/** Everything a read or a refused write must leave untouched. */
async function ledgerSnapshot(): Promise<unknown> {
  const [row] = await t.db.query(
    `select (select count(*) from redemption)::int as redemptions,
            (select count(*) from redemption_void)::int as voids,
            (select coalesce(sum(used), 0) from entitlement)::int as used,
            (select count(*) from issued_token)::int as tokens`,
  );
  return row;
}

async function expectRefused(request: Promise<{ errors?: Array<{ extensions?: { code?: string }; message: string }> }>, code: string) {
  const before = await ledgerSnapshot();
  const res = await request;
  expect(res.errors?.[0]?.extensions?.code).toBe(code);
  expect(await ledgerSnapshot()).toEqual(before);
  return res;
}

async function remainingOf(entitlementId: string): Promise<number> {
  const [row] = await t.db.query<{ remaining: number }>(`select quota - used as remaining from entitlement where id = $1`, [entitlementId]);
  return row!.remaining;
}

describe('who may call the partner API', () => {
  const operations: Array<[string, string, Record<string, unknown>]> = [
    ['partnerBenefits', `{ partnerBenefits { code } }`, {}],
    ['partnerRedemptions', PAGE, {}],
    ['partnerSettlement', SETTLEMENT, { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' }],
    ['checkEntitlementToken', CHECK, { token: 'a.b.c' }],
    ['voidRedemption', VOID, { id: randomUUID(), reason: 'mistake' }],
  ];

  it.each(operations)('%s: UNAUTHENTICATED without a credential, FORBIDDEN for members and admins', async (_name, query, variables) => {
    const anonymous = await t.graphql(query, variables);
    const member = await t.graphql(query, variables, { bearer: await t.memberToken(`member-${randomUUID()}`) });
    const admin = await t.graphql(query, variables, { bearer: await t.adminToken(`admin-${randomUUID()}`) });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(member.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(admin.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('partnerBenefits', () => {
  it("lists the calling partner's own benefits with the unit price agreed with it", async () => {
    const query = `{ partnerBenefits { code partner { id } unitPrice { amount currency } } }`;
    const spark = await t.graphql(query, {}, { bearer: sparkwash });
    const brew = await t.graphql(query, {}, { bearer: brewbar });
    expect(spark.data.partnerBenefits).toEqual([{ code: 'CAR_WASH', partner: { id: 'sparkwash' }, unitPrice: { amount: 3500, currency: 'CNY' } }]);
    expect(brew.data.partnerBenefits).toEqual([{ code: 'COFFEE', partner: { id: 'brewbar' }, unitPrice: { amount: 1200, currency: 'CNY' } }]);
  });

  it('keeps unit prices from members and anonymous callers, shows them to admins', async () => {
    const query = `{ plans { code benefits { benefit { code unitPrice { amount } } } } }`;
    const prices = (res: any) => Object.fromEntries(res.data.plans.find((p: any) => p.code === 'PLUS').benefits.map((b: any) => [b.benefit.code, b.benefit.unitPrice?.amount ?? null]));
    expect(prices(await t.graphql(query))).toEqual({ STREAMING_VIP: null, CAR_WASH: null, COFFEE: null, SKYMILES_BONUS: null });
    expect(prices(await t.graphql(query, {}, { bearer: await t.memberToken(`member-${randomUUID()}`) }))).toEqual({
      STREAMING_VIP: null, CAR_WASH: null, COFFEE: null, SKYMILES_BONUS: null,
    });
    expect(prices(await t.graphql(query, {}, { bearer: await t.adminToken(`admin-${randomUUID()}`) }))).toEqual({
      STREAMING_VIP: 0, CAR_WASH: 3500, COFFEE: 1200, SKYMILES_BONUS: 0,
    });
    // A partner sees the price of its own benefit only.
    expect(prices(await t.graphql(query, {}, { bearer: sparkwash }))).toEqual({ STREAMING_VIP: null, CAR_WASH: 3500, COFFEE: null, SKYMILES_BONUS: null });
  });

  it('shows unit prices to product managers and finance, not to support or analysts', async () => {
    const query = `{ plans { code benefits { benefit { code unitPrice { amount } } } } }`;
    const carWash = async (role: StaffRole) => {
      const res = await t.graphql(query, {}, { bearer: await t.staffToken(`${role}-${randomUUID()}`, role) });
      return res.data.plans.find((p: any) => p.code === 'PLUS').benefits.find((b: any) => b.benefit.code === 'CAR_WASH').benefit.unitPrice?.amount ?? null;
    };
    expect(await carWash(StaffRole.PRODUCT_MANAGER)).toBe(3500);
    expect(await carWash(StaffRole.FINANCE)).toBe(3500);
    expect(await carWash(StaffRole.SUPPORT)).toBeNull();
    expect(await carWash(StaffRole.ANALYST)).toBeNull();
  });
});

describe('partnerRedemptions', () => {
  it('pages newest first without duplicates or gaps while a redemption lands between page fetches', async () => {
    advance(HOUR);
    const from = clock.toISOString();
    const member = await newMember();
    const other = await newMember();
    const original: string[] = [];
    for (const [who, ties] of [[member, 1], [member, 2], [other, 1], [other, 1], [member, 1], [other, 2]] as const) {
      // Some redemptions share an instant: the id breaks the tie.
      for (let i = 0; i < ties; i++) original.push(await redeem(who));
      advance(1000);
    }
    expect(original).toHaveLength(8);

    const seen: any[] = [];
    let after: string | null = null;
    const pages: number[] = [];
    for (let page = 0; page < 5; page++) {
      const res: any = await t.graphql(PAGE, { first: 3, after, from }, { bearer: sparkwash });
      expect(res.errors).toBeUndefined();
      const { edges, pageInfo } = res.data.partnerRedemptions;
      seen.push(...edges.map((e: any) => e.node));
      pages.push(edges.length);
      if (edges.length) expect(pageInfo.endCursor).toBe(edges.at(-1).cursor);
      if (page === 0) {
        // A redemption committed after the first page is newer than every cursor handed out.
        advance(1000);
        await redeem(await newMember());
      }
      if (!pageInfo.hasNextPage) break;
      after = pageInfo.endCursor;
    }
    expect(pages).toEqual([3, 3, 2]);
    const ids = seen.map((n) => n.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set(original));
    // Newest first, ties broken by id (descending), consistently.
    const order = seen.map((n) => [Date.parse(n.createdAt), n.id] as const);
    for (let i = 1; i < order.length; i++) {
      const [prevAt, prevId] = order[i - 1]!;
      const [at, id] = order[i]!;
      expect(prevAt > at || (prevAt === at && prevId > id)).toBe(true);
    }
    for (const node of seen) {
      expect(node).toMatchObject({ units: 1, voided: false, voidedAt: null, benefit: { code: 'CAR_WASH' } });
    }
  });

  it('keeps instants that differ by microseconds apart (cursors carry PostgreSQL precision)', async () => {
    const member = await newMember();
    const inserted: string[] = [];
    // Rows another writer stamped within one millisecond: a millisecond cursor would skip some.
    for (const micros of ['123401', '123402', '123403', '123403']) {
      const [row] = await t.db.query<{ id: string }>(
        `insert into redemption (id, entitlement_id, member_id, partner_id, units, token_jti, idempotency_key, request_hash, created_at)
         values (gen_random_uuid(), $1, $4, 'sparkwash', 1, $2, $2, 'h', $3::timestamptz) returning id`,
        [member.entitlementIds.CAR_WASH, randomUUID(), `2020-03-01T08:00:00.${micros}Z`, member.id],
      );
      inserted.push(row!.id);
    }
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 6; page++) {
      const res: any = await t.graphql(PAGE, { first: 1, after, from: '2020-03-01T00:00:00Z', to: '2020-03-02T00:00:00Z' }, { bearer: sparkwash });
      seen.push(...res.data.partnerRedemptions.edges.map((e: any) => e.node.id));
      if (!res.data.partnerRedemptions.pageInfo.hasNextPage) break;
      after = res.data.partnerRedemptions.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(4);
    expect(seen.slice(0, 2).sort()).toEqual(inserted.slice(2).sort());
    expect(seen.slice(2)).toEqual([inserted[1], inserted[0]]);
  });

  it("shows the member as the partner's pseudonym (the token's sub), never the member id", async () => {
    advance(HOUR);
    const from = clock.toISOString();
    const member = await newMember();
    const token = await issue(member);
    await t.graphql(REDEEM, { token, key: randomUUID() }, { bearer: sparkwash });
    const res = await t.graphql(PAGE, { from }, { bearer: sparkwash });
    const [edge] = res.data.partnerRedemptions.edges;
    expect(edge.node.memberPseudonym).toBe(claimsOf(token).sub);
    expect(edge.node.memberPseudonym).not.toBe(member.id);
    expect(JSON.stringify(res.data)).not.toContain(member.id);
  });

  it('filters by [from, to) and by benefit', async () => {
    advance(HOUR);
    const t0 = new Date(clock);
    const member = await newMember();
    const atStart = await redeem(member);
    advance(HOUR);
    const atOneHour = await redeem(member);
    advance(HOUR);
    const atTwoHours = await redeem(member);
    const at = (ms: number) => new Date(t0.getTime() + ms).toISOString();
    const ids = async (variables: Record<string, unknown>, bearer = sparkwash) => {
      const res = await t.graphql(PAGE, { first: 200, ...variables }, { bearer });
      expect(res.errors).toBeUndefined();
      return res.data.partnerRedemptions.edges.map((e: any) => e.node.id);
    };
    expect(await ids({ from: at(HOUR), to: at(2 * HOUR) })).toEqual([atOneHour]);
    expect(await ids({ from: at(0), to: at(2 * HOUR) })).toEqual([atOneHour, atStart]);
    expect(await ids({ from: at(HOUR) })).toEqual([atTwoHours, atOneHour]);
    expect(await ids({ from: at(0), to: at(HOUR) })).toEqual([atStart]);
    expect(await ids({ from: at(0), benefitCode: 'CAR_WASH' })).toEqual([atTwoHours, atOneHour, atStart]);
    expect(await ids({ from: at(0), benefitCode: 'COFFEE' })).toEqual([]);
    expect(await ids({ from: at(0), benefitCode: 'NO_SUCH_BENEFIT' })).toEqual([]);
    const before = await ids({ to: at(0) });
    expect(before).not.toContain(atStart);
  });

  it('refuses a page over 200, a negative one, a malformed cursor and an empty period with BAD_USER_INPUT', async () => {
    const code = async (variables: Record<string, unknown>) =>
      (await t.graphql(PAGE, variables, { bearer: sparkwash })).errors?.[0]?.extensions?.code;
    expect(await code({ first: 201 })).toBe('BAD_USER_INPUT');
    expect(await code({ first: -1 })).toBe('BAD_USER_INPUT');
    expect(await code({ after: 'not-a-cursor' })).toBe('BAD_USER_INPUT');
    expect(await code({ after: Buffer.from(`r1:1:${randomUUID()}:x`).toString('base64url') })).toBe('BAD_USER_INPUT');
    expect(await code({ from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' })).toBe('BAD_USER_INPUT');
    expect(await code({ first: 200 })).toBeUndefined();
  });

  it("never shows a partner another partner's redemptions, and another partner's id is NOT_FOUND to void", async () => {
    const member = await newMember();
    const washed = await redeem(member);
    const coffee = await redeem(member, { code: 'COFFEE', bearer: brewbar });
    const all = async (bearer: string) => {
      const res = await t.graphql(PAGE, { first: 200 }, { bearer });
      return res.data.partnerRedemptions.edges.map((e: any) => e.node.id) as string[];
    };
    const brew = await all(brewbar);
    const spark = await all(sparkwash);
    expect(brew).toContain(coffee);
    expect(brew).not.toContain(washed);
    expect(spark).toContain(washed);
    expect(spark).not.toContain(coffee);
    const [{ n }] = await t.db.query(`select count(*)::int as n from redemption where partner_id = 'sparkwash'`);
    expect(brew.some((id) => spark.includes(id))).toBe(false);
    expect(spark.length).toBe(Math.min(n, 200));

    const foreign = await expectRefused(t.graphql(VOID, { id: washed, reason: 'not mine' }, { bearer: brewbar }), 'NOT_FOUND');
    const unknown = await expectRefused(t.graphql(VOID, { id: randomUUID(), reason: 'unknown' }, { bearer: brewbar }), 'NOT_FOUND');
    await expectRefused(t.graphql(VOID, { id: 'not-a-uuid', reason: 'malformed' }, { bearer: brewbar }), 'NOT_FOUND');
    expect(foreign.errors![0]!.message.replace(washed, '<id>')).toBe(unknown.errors![0]!.message.replace(/[0-9a-f-]{36}/, '<id>'));
  });
});

describe('partnerSettlement', () => {
  it('prices the units of the period net of voids, per benefit, in SQL', async () => {
    advance(24 * HOUR);
    const from = new Date(clock);
    const a = await newMember();
    const b = await newMember();
    await redeem(a);
    await redeem(a, { units: 2 });
    const mistaken = await redeem(b);
    const doubleScan = await redeem(b, { units: 1 });
    await redeem(a, { code: 'COFFEE', bearer: brewbar });
    await redeem(b, { code: 'COFFEE', bearer: brewbar, units: 3 });
    advance(MINUTE);
    for (const id of [mistaken, doubleScan]) {
      const voided = await t.graphql(VOID, { id, reason: 'scanned twice' }, { bearer: sparkwash });
      expect(voided.errors).toBeUndefined();
    }
    const to = new Date(from.getTime() + HOUR);

    const spark = await t.graphql(SETTLEMENT, { from: from.toISOString(), to: to.toISOString() }, { bearer: sparkwash });
    expect(spark.errors).toBeUndefined();
    expect(spark.data.partnerSettlement).toEqual({
      partner: { id: 'sparkwash' },
      from: from.toISOString(),
      to: to.toISOString(),
      currency: 'CNY',
      lines: [
        {
          benefit: { code: 'CAR_WASH' },
          redemptions: 4,
          voidedRedemptions: 2,
          units: 3,
          unitPrice: { amount: 3500, currency: 'CNY' },
          amount: { amount: 10_500, currency: 'CNY' },
        },
      ],
      totalRedemptions: 4,
      totalVoidedRedemptions: 2,
      totalUnits: 3,
      totalAmount: { amount: 10_500, currency: 'CNY' },
    });

    const brew = await t.graphql(SETTLEMENT, { from: from.toISOString(), to: to.toISOString() }, { bearer: brewbar });
    expect(brew.data.partnerSettlement.lines).toEqual([
      {
        benefit: { code: 'COFFEE' },
        redemptions: 2,
        voidedRedemptions: 0,
        units: 4,
        unitPrice: { amount: 1200, currency: 'CNY' },
        amount: { amount: 4800, currency: 'CNY' },
      },
    ]);
    expect(brew.data.partnerSettlement.totalAmount).toEqual({ amount: 4800, currency: 'CNY' });

    // A period with nothing redeemed: every benefit, all zero, never negative.
    const later = await t.graphql(
      SETTLEMENT,
      { from: to.toISOString(), to: new Date(to.getTime() + HOUR).toISOString() },
      { bearer: sparkwash },
    );
    expect(later.data.partnerSettlement).toMatchObject({
      lines: [{ benefit: { code: 'CAR_WASH' }, redemptions: 0, voidedRedemptions: 0, units: 0, amount: { amount: 0, currency: 'CNY' } }],
      totalUnits: 0,
      totalAmount: { amount: 0, currency: 'CNY' },
    });

    // The figures agree with the rows.
    const [row] = await t.db.query(
      `select coalesce(sum(r.units), 0)::int as units from redemption r
       left join redemption_void v on v.redemption_id = r.id
       where r.partner_id = 'sparkwash' and v.id is null and r.created_at >= $1 and r.created_at < $2`,
      [from, to],
    );
    expect(row).toEqual({ units: 3 });
  });

  it('refuses an empty, inverted or longer-than-366-days period with BAD_USER_INPUT', async () => {
    const code = async (from: string, to: string) =>
      (await t.graphql(SETTLEMENT, { from, to }, { bearer: sparkwash })).errors?.[0]?.extensions?.code;
    expect(await code('2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')).toBe('BAD_USER_INPUT');
    expect(await code('2026-02-01T00:00:00Z', '2026-01-01T00:00:00Z')).toBe('BAD_USER_INPUT');
    expect(await code('2026-01-01T00:00:00Z', '2027-01-02T00:00:01Z')).toBe('BAD_USER_INPUT');
    expect(await code('2026-01-01T00:00:00Z', '2027-01-02T00:00:00Z')).toBeUndefined();
  });
});

describe('checkEntitlementToken', () => {
  it('says a fresh token is valid and how much is left, consuming nothing: the token still redeems afterwards', async () => {
    const member = await newMember();
    const token = await issue(member);
    const before = await ledgerSnapshot();
    const res = await t.graphql(CHECK, { token }, { bearer: sparkwash });
    const again = await t.graphql(CHECK, { token }, { bearer: sparkwash });
    expect(await ledgerSnapshot()).toEqual(before);
    expect(res.errors).toBeUndefined();
    expect(res.data.checkEntitlementToken).toEqual({
      valid: true,
      alreadyRedeemed: false,
      problem: null,
      expiresAt: new Date(Number(claimsOf(token).exp) * 1000).toISOString(),
      entitlement: { id: member.entitlementIds.CAR_WASH, remaining: 4, status: 'ACTIVE' },
      benefit: { code: 'CAR_WASH' },
    });
    expect(again.data).toEqual(res.data);
    const redeemed = await t.graphql(REDEEM, { token, key: randomUUID() }, { bearer: sparkwash });
    expect(redeemed.data.redeemEntitlement.entitlement.remaining).toBe(3);
  });

  it('reports a redeemed token as already redeemed, and a token whose quota ran out as exhausted', async () => {
    const member = await newMember();
    const [used, spare] = [await issue(member), await issue(member)];
    await t.graphql(REDEEM, { token: used, key: randomUUID(), units: 2 }, { bearer: sparkwash });
    const before = await ledgerSnapshot();
    const res = await t.graphql(CHECK, { token: used }, { bearer: sparkwash });
    expect(res.data.checkEntitlementToken).toMatchObject({
      valid: false,
      alreadyRedeemed: true,
      problem: 'ALREADY_REDEEMED',
      entitlement: { remaining: 2 },
    });
    await redeem(member, { units: 2 });
    const exhausted = await t.graphql(CHECK, { token: spare }, { bearer: sparkwash });
    expect(exhausted.data.checkEntitlementToken).toMatchObject({
      valid: false,
      alreadyRedeemed: false,
      problem: 'QUOTA_EXHAUSTED',
      entitlement: { remaining: 0 },
    });
    expect(((await ledgerSnapshot()) as any).redemptions).toBe((before as any).redemptions + 1);
  });

  it("refuses an expired, another partner's and a tampered token like redeemEntitlement does, changing nothing", async () => {
    const member = await newMember();
    const token = await issue(member);
    await expectRefused(t.graphql(CHECK, { token }, { bearer: brewbar }), 'TOKEN_INVALID');
    const [h, , s] = token.split('.');
    const payload = Buffer.from(JSON.stringify({ ...claimsOf(token), ent: member.entitlementIds.COFFEE })).toString('base64url');
    await expectRefused(t.graphql(CHECK, { token: `${h}.${payload}.${s}` }, { bearer: sparkwash }), 'TOKEN_INVALID');
    await expectRefused(t.graphql(CHECK, { token: 'not.a.token' }, { bearer: sparkwash }), 'TOKEN_INVALID');
    await expectRefused(t.graphql(CHECK, { token: '' }, { bearer: sparkwash }), 'BAD_USER_INPUT');
    advance(11 * MINUTE);
    await expectRefused(t.graphql(CHECK, { token }, { bearer: sparkwash }), 'TOKEN_EXPIRED');
    await expectRefused(t.graphql(REDEEM, { token, key: randomUUID() }, { bearer: sparkwash }), 'TOKEN_EXPIRED');
  });
});

describe('voidRedemption', () => {
  it('records a compensating entry, gives the units back, keeps the token used and the redemption row as it was', async () => {
    const member = await newMember();
    const token = await issue(member);
    const key = randomUUID();
    const redeemed = await t.graphql(REDEEM, { token, key }, { bearer: sparkwash });
    const id = redeemed.data.redeemEntitlement.id;
    const [rowBefore] = await t.db.query(`select * from redemption where id = $1`, [id]);
    advance(MINUTE);

    const res = await t.graphql(VOID, { id, reason: '  scanned the wrong card  ' }, { bearer: sparkwash });
    expect(res.errors).toBeUndefined();
    expect(res.data.voidRedemption).toEqual({
      id,
      units: 1,
      voided: true,
      voidedAt: clock.toISOString(),
      voidReason: 'scanned the wrong card',
      entitlement: { id: member.entitlementIds.CAR_WASH, remaining: 4 },
    });
    expect(await t.db.query(`select * from redemption where id = $1`, [id])).toEqual([rowBefore]);
    expect(await t.db.query(`select partner_id, reason from redemption_void where redemption_id = $1`, [id])).toEqual([
      { partner_id: 'sparkwash', reason: 'scanned the wrong card' },
    ]);

    // The token stays consumed; the same request replays the (now voided) redemption.
    await expectRefused(t.graphql(REDEEM, { token, key: randomUUID() }, { bearer: sparkwash }), 'ALREADY_REDEEMED');
    const replay = await t.graphql(REDEEM, { token, key }, { bearer: sparkwash });
    expect(replay.data.redeemEntitlement.id).toBe(id);
    const checked = await t.graphql(CHECK, { token }, { bearer: sparkwash });
    expect(checked.data.checkEntitlementToken).toMatchObject({ valid: false, alreadyRedeemed: true, entitlement: { remaining: 4 } });

    // The whole quota is usable again, with fresh tokens.
    for (let i = 0; i < 4; i++) await redeem(member);
    expect(await remainingOf(member.entitlementIds.CAR_WASH!)).toBe(0);
    const fifth = await t.graphql(ISSUE, { id: member.entitlementIds.CAR_WASH }, { bearer: member.bearer });
    expect(fifth.errors?.[0]?.extensions?.code).toBe('QUOTA_EXHAUSTED');

    const listed = await t.graphql(PAGE, { first: 200 }, { bearer: sparkwash });
    expect(listed.data.partnerRedemptions.edges.find((e: any) => e.node.id === id).node).toMatchObject({ voided: true, voidedAt: clock.toISOString() });
  });

  it('refuses a second void with ALREADY_VOIDED and an empty reason with BAD_USER_INPUT, changing nothing', async () => {
    const member = await newMember();
    const id = await redeem(member, { units: 2 });
    await expectRefused(t.graphql(VOID, { id, reason: '   ' }, { bearer: sparkwash }), 'BAD_USER_INPUT');
    expect((await t.graphql(VOID, { id, reason: 'mistake' }, { bearer: sparkwash })).errors).toBeUndefined();
    expect(await remainingOf(member.entitlementIds.CAR_WASH!)).toBe(4);
    await expectRefused(t.graphql(VOID, { id, reason: 'mistake again' }, { bearer: sparkwash }), 'ALREADY_VOIDED');
    expect(await remainingOf(member.entitlementIds.CAR_WASH!)).toBe(4);
  });

  it('voids up to the end of the window and refuses with VOID_WINDOW_CLOSED after it', async () => {
    const member = await newMember();
    const first = await redeem(member);
    const second = await redeem(member);
    advance(15 * MINUTE);
    expect((await t.graphql(VOID, { id: first, reason: 'last second' }, { bearer: sparkwash })).errors).toBeUndefined();
    advance(1);
    const late = await expectRefused(t.graphql(VOID, { id: second, reason: 'too late' }, { bearer: sparkwash }), 'VOID_WINDOW_CLOSED');
    expect(late.errors![0]!.message).toMatch(/900 seconds/);
    expect(await remainingOf(member.entitlementIds.CAR_WASH!)).toBe(3);
  });

  it('lets exactly one of 20 concurrent voids of one redemption through', async () => {
    const member = await newMember();
    const id = await redeem(member, { units: 3 });
    expect(await remainingOf(member.entitlementIds.CAR_WASH!)).toBe(1);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => t.graphql(VOID, { id, reason: `attempt ${i}` }, { bearer: sparkwash })),
    );
    const accepted = results.filter((r) => r.data?.voidRedemption);
    const refused = results.filter((r) => r.errors);
    expect(accepted).toHaveLength(1);
    expect(refused).toHaveLength(19);
    expect(new Set(refused.map((r) => r.errors![0]!.extensions!.code))).toEqual(new Set(['ALREADY_VOIDED']));
    expect(await remainingOf(member.entitlementIds.CAR_WASH!)).toBe(4);
    expect(await t.db.query(`select count(*)::int as n from redemption_void where redemption_id = $1`, [id])).toEqual([{ n: 1 }]);
  });

  it('keeps the void ledger append-only at the database level', async () => {
    const member = await newMember();
    const id = await redeem(member);
    await t.graphql(VOID, { id, reason: 'mistake' }, { bearer: sparkwash });
    await expect(t.db.query(`update redemption_void set reason = 'edited' where redemption_id = $1`, [id])).rejects.toThrow(/append-only/);
    await expect(t.db.query(`delete from redemption_void where redemption_id = $1`, [id])).rejects.toThrow(/append-only/);
    await expect(t.db.query(`delete from redemption where id = $1`, [id])).rejects.toThrow(/append-only/);
  });
});

describe('no N+1 on the redemption list', () => {
  it('runs as many SQL statements for 40 redemptions as for 2', async () => {
    // At least 42 redemptions, whatever ran before.
    for (let i = 0; i < 14; i++) {
      const member = await newMember();
      await redeem(member);
      await redeem(member);
      await redeem(member, { units: 2 });
    }
    const [voidable] = await t.db.query<{ id: string }>(
      `select r.id from redemption r where r.partner_id = 'sparkwash' and not exists (select 1 from redemption_void v where v.redemption_id = r.id)
       order by r.created_at desc limit 1`,
    );
    await t.graphql(VOID, { id: voidable!.id, reason: 'mistake' }, { bearer: sparkwash });
    const count = async (first: number) => {
      statements.length = 0;
      const res = await t.graphql(
        `query($first: Int) { partnerRedemptions(first: $first) { edges { node {
          id memberPseudonym voided voidedAt voidReason benefit { code partner { id name } } entitlement { remaining benefit { code } }
        } } } }`,
        { first },
        { bearer: sparkwash },
      );
      expect(res.errors).toBeUndefined();
      expect(res.data.partnerRedemptions.edges).toHaveLength(first);
      return statements.map((s) => s.replace(/\x1b\[[0-9;]*m/g, '')).filter((s) => s.startsWith('[query]')).length;
    };
    const small = await count(2);
    const big = await count(40);
    expect(big).toBe(small);
    // key lookup, page, entitlements, voids, benefits, partners.
    expect(big).toBeLessThanOrEqual(6);
  });
});
