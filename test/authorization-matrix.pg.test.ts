import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import {
  buildSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaffRole } from '../src/platform/principal.js';
import { startTestApp, type SubscribedMember, type TestApp } from './support/app.js';

/**
 * Issue 4 item 7, issue 11 (roles): every root field of the public schema × every kind of
 * caller, generated from schema/api.graphql so that a new field cannot be added without
 * deciding who may call it. The staff roles' lists are the ones docs/contract.md states.
 */

/** A staff role by its short name (what `dev:credential` takes), or one of our channels. */
type Staff = 'admin' | 'pm' | 'support' | 'finance' | 'analyst' | 'channel';
const STAFF: Record<Exclude<Staff, 'channel'>, StaffRole> = {
  admin: StaffRole.ADMIN,
  pm: StaffRole.PRODUCT_MANAGER,
  support: StaffRole.SUPPORT,
  finance: StaffRole.FINANCE,
  analyst: StaffRole.ANALYST,
};
type Role = 'anonymous' | 'memberA' | 'memberB' | 'partnerP1' | 'partnerP2' | Staff;
const ROLES: Role[] = ['anonymous', 'memberA', 'memberB', 'partnerP1', 'partnerP2', 'channel', 'admin', 'pm', 'support', 'finance', 'analyst'];
/** Members by JWT: plain members and staff alike (a staff member is a member with roles). */
const MEMBERS: Role[] = ['memberA', 'memberB', 'admin', 'pm', 'support', 'finance', 'analyst'];

/**
 * Who may call each root field: everyone, any member (staff included), partners, or exactly
 * the staff listed (an admin always, so every list names it; `channel` for our channels' keys).
 */
type Who = 'everyone' | 'member' | 'partner' | readonly Staff[];
const EXPECTED: Record<'Query' | 'Mutation', Record<string, Who>> = {
  Query: {
    plans: 'everyone',
    viewer: 'everyone',
    me: 'member',
    myDataExport: 'member',
    memberDataExport: ['admin', 'support'],
    memberLookup: ['admin', 'support'],
    memberProfile: ['admin', 'support'],
    checkEntitlementToken: 'partner',
    partnerBenefits: 'partner',
    partnerRedemptions: 'partner',
    partnerSettlement: 'partner',
    myPartnerApiKeys: 'partner',
    checkMembershipCard: 'partner',
    campaigns: ['admin', 'pm', 'support', 'analyst'],
    channelApiKeys: ['admin'],
    pointsLiability: ['admin', 'finance', 'analyst'],
    catalogDrafts: ['admin', 'pm', 'finance'],
    catalogDraft: ['admin', 'pm', 'finance'],
    catalogPreview: ['admin', 'pm'],
    auditTrail: ['admin'],
    auditTrailPage: ['admin'],
    loyaltyProgram: ['admin', 'pm', 'finance', 'analyst'],
    voucherPool: 'partner',
    partnerSubgraphs: ['admin'],
    partners: ['admin', 'pm', 'support', 'finance', 'analyst'],
    refundQuote: 'member',
    planChangeQuote: 'member',
    membershipTimeline: ['admin', 'support', 'finance'],
    membershipRefundQuote: ['admin', 'support'],
    segmentDefinitions: ['admin', 'pm', 'analyst'],
    testClock: ['admin'],
    activityImport: ['admin', 'analyst'],
    activityImports: ['admin', 'analyst'],
    segments: ['admin', 'pm', 'analyst'],
    segmentMembers: ['admin', 'pm', 'analyst'],
    memberSegments: ['admin', 'pm', 'support', 'analyst'],
    programFiguresRun: ['admin', 'pm', 'finance', 'analyst'],
    memberGrowthFigures: ['admin', 'pm', 'finance', 'analyst'],
    paidConversionFigures: ['admin', 'pm', 'finance', 'analyst'],
    renewalFigures: ['admin', 'pm', 'finance', 'analyst'],
    orderValueFigures: ['admin', 'pm', 'finance', 'analyst'],
    benefitUtilizationFigures: ['admin', 'pm', 'finance', 'analyst'],
    memberValueFigures: ['admin', 'pm', 'finance', 'analyst'],
    pointsLiabilityFigures: ['admin', 'pm', 'finance'],
    pointsOutstandingFigures: ['admin', 'pm', 'finance', 'analyst'],
    tierFigures: ['admin', 'pm', 'finance', 'analyst'],
    partnerDependencyFigures: ['admin', 'pm', 'finance', 'analyst'],
    partnerExitFigures: ['admin', 'pm', 'finance'],
    bundleCostSimulation: ['admin', 'pm', 'finance'],
  },
  Mutation: {
    subscribe: 'member',
    cancelMembership: 'member',
    issueEntitlementToken: 'member',
    claimVoucher: 'member',
    deleteMyAccount: 'member',
    setAutoRenew: 'member',
    payPastDue: 'member',
    changePlan: 'member',
    refundMyMembership: 'member',
    setMessagingPreferences: 'member',
    redeemEntitlement: 'partner',
    voidRedemption: 'partner',
    uploadVoucherCodes: 'partner',
    refundMembership: ['admin', 'support'],
    revokeEntitlement: ['admin', 'support'],
    eraseMember: ['admin', 'support'],
    reconcilePartner: ['admin'],
    createPartnerApiKey: ['admin'],
    revokePartnerApiKey: ['admin'],
    createMyPartnerApiKey: 'partner',
    rotateMyPartnerApiKey: 'partner',
    revokeMyPartnerApiKey: 'partner',
    registerPartnerSubgraph: ['admin'],
    unregisterPartnerSubgraph: ['admin'],
    createTestClock: ['admin'],
    attachTestClock: ['admin'],
    advanceTestClock: ['admin'],
    recordActivity: ['admin', 'channel'],
    createCampaign: ['admin', 'pm'],
    createChannelApiKey: ['admin'],
    revokeChannelApiKey: ['admin'],
    setCampaignActive: ['admin', 'pm'],
    issueMembershipCard: 'member',
    setMyBirthday: 'member',
    earnPoints: 'partner',
    refundPartnerOrder: 'partner',
    burnPoints: 'partner',
    redeemReward: 'member',
    createCatalogDraft: ['admin', 'pm'],
    updateCatalogDraft: ['admin', 'pm'],
    publishCatalogDraft: ['admin', 'pm'],
    cancelCatalogPublication: ['admin', 'pm'],
    createPartner: ['admin', 'pm'],
    updatePartner: ['admin', 'pm'],
    cancelRewardRedemption: 'member',
    recomputeSegments: ['admin', 'pm'],
    refreshProgramFigures: ['admin', 'pm'],
  },
};

/** The HTTP routes that authorize like a root field (docs/contract.md lists them in its Roles table). */
const ROUTES: Record<string, readonly Staff[]> = {
  'POST /admin/activity-imports': ['admin'],
  'GET /admin/activity-imports/{id}': ['admin', 'analyst'],
};

function allowedRoles(who: Who): readonly Role[] {
  switch (who) {
    case 'everyone':
      return ROLES;
    case 'member':
      return MEMBERS;
    case 'partner':
      return ['partnerP1', 'partnerP2'];
    default:
      return who;
  }
}

type Outcome = 'allowed' | 'UNAUTHENTICATED' | 'FORBIDDEN';
function expectedOutcome(role: Role, who: Who): Outcome {
  if (allowedRoles(who).includes(role)) return 'allowed';
  return role === 'anonymous' ? 'UNAUTHENTICATED' : 'FORBIDDEN';
}

const schemaText = fs.readFileSync(new URL('../schema/api.graphql', import.meta.url), 'utf8');
const schema = buildSchema(schemaText);
const roots = { Query: schema.getQueryType()!, Mutation: schema.getMutationType()! };

/** A GraphQL literal for a placeholder value of an input type. */
function placeholder(type: GraphQLInputType, ids: () => string, dateIndex: { n: number }): string {
  if (isNonNullType(type)) return placeholder(type.ofType, ids, dateIndex);
  if (isListType(type)) return `[${placeholder(type.ofType, ids, dateIndex)}]`;
  if (isEnumType(type)) return type.getValues()[0]!.name;
  if (isInputObjectType(type)) {
    // Every required field, and none of the optional ones.
    const fields = Object.values(type.getFields()).filter((f) => isNonNullType(f.type));
    return `{ ${fields.map((f) => `${f.name}: ${placeholder(f.type, ids, dateIndex)}`).join(', ')} }`;
  }
  if (isScalarType(type)) {
    switch (type.name) {
      case 'ID':
        return JSON.stringify(ids());
      case 'String':
        return '"x"';
      case 'Int':
      case 'SafeInt':
        return '1';
      case 'Float':
        return '1.0';
      case 'Boolean':
        return 'true';
      case 'DateTimeISO':
        // Successive date arguments make a valid period ([from, to) of one month each).
        return JSON.stringify(new Date(Date.UTC(2026, dateIndex.n++, 1)).toISOString());
    }
  }
  throw new Error(`No placeholder for input type ${String(type)}: teach authorization-matrix.pg.test.ts about it`);
}

function required(arg: GraphQLArgument): boolean {
  return isNonNullType(arg.type) && arg.defaultValue === undefined;
}

function selection(field: GraphQLField<unknown, unknown>): string {
  return isObjectType(getNamedType(field.type)) ? ' { __typename }' : '';
}

/** A minimal operation for one root field: required arguments only, placeholders for their values. */
function operationFor(kind: 'Query' | 'Mutation', field: GraphQLField<unknown, unknown>, idFor: (arg: string) => string = () => randomUUID()): string {
  const dateIndex = { n: 0 };
  const args = field.args
    .filter(required)
    .map((arg) => `${arg.name}: ${placeholder(arg.type, () => idFor(arg.name), dateIndex)}`);
  const call = `${field.name}${args.length ? `(${args.join(', ')})` : ''}${selection(field)}`;
  return `${kind === 'Query' ? 'query' : 'mutation'} { ${call} }`;
}

function classify(res: { errors?: Array<{ extensions?: { code?: string } }> }): Outcome {
  const codes = (res.errors ?? []).map((e) => e.extensions?.code);
  if (codes.includes('UNAUTHENTICATED')) return 'UNAUTHENTICATED';
  if (codes.includes('FORBIDDEN')) return 'FORBIDDEN';
  return 'allowed';
}

/** Every table's rows, as a count and a digest: what a refused call must leave exactly as it was. */
async function databaseState(): Promise<Record<string, { rows: number; digest: string }>> {
  const tables = await t.db.query<{ name: string }>(
    `select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' order by 1`,
  );
  const state: Record<string, { rows: number; digest: string }> = {};
  for (const { name } of tables) {
    const [row] = await t.db.query<{ rows: number; digest: string }>(
      `select count(*)::int as rows, md5(coalesce(string_agg(r::text, '|' order by r::text), '')) as digest from "${name}" r`,
    );
    state[name] = row!;
  }
  return state;
}

let t: TestApp;
let A: SubscribedMember;
let B: SubscribedMember;
let P1: string;
let P2: string;
let admin: string;
let bearers: Record<Role, string | undefined>;

beforeAll(async () => {
  t = await startTestApp();
  [A, B, P1, P2, admin] = await Promise.all([
    t.subscribedMember(),
    t.subscribedMember(),
    t.partnerKey('sparkwash'),
    t.partnerKey('brewbar'),
    t.adminToken(`admin-${randomUUID()}`),
  ]);
  const channelKey = await t.graphql(`mutation { createChannelApiKey(channel: "matrix-pos") { key } }`, {}, { bearer: admin });
  expect(channelKey.errors).toBeUndefined();
  const staff = Object.fromEntries(
    await Promise.all(
      (['pm', 'support', 'finance', 'analyst'] as const).map(async (name) => [name, await t.staffToken(`${name}-${randomUUID()}`, STAFF[name])] as const),
    ),
  ) as Record<'pm' | 'support' | 'finance' | 'analyst', string>;
  bearers = { anonymous: undefined, memberA: A.bearer, memberB: B.bearer, partnerP1: P1, partnerP2: P2, channel: channelKey.data.createChannelApiKey.key, admin, ...staff };
  // Every JWT caller signs in once here, so its member row exists before anything is compared.
  for (const role of MEMBERS) expect((await t.graphql(`{ me { id } }`, {}, { bearer: bearers[role] })).errors).toBeUndefined();
});
afterAll(async () => {
  await t?.close();
});

describe('authorization matrix, generated from schema/api.graphql', () => {
  it('has an expectation for every root field and none for a field the schema lacks', () => {
    for (const kind of ['Query', 'Mutation'] as const) {
      const inSchema = Object.keys(roots[kind].getFields()).sort();
      const inTable = Object.keys(EXPECTED[kind]).sort();
      expect(inSchema.filter((f) => !inTable.includes(f)), `${kind} fields missing from EXPECTED`).toEqual([]);
      expect(inTable.filter((f) => !inSchema.includes(f)), `EXPECTED ${kind} fields not in the schema`).toEqual([]);
    }
  });

  it('names an admin in every staff list: an admin may call every staff operation', () => {
    for (const kind of ['Query', 'Mutation'] as const) {
      for (const [field, who] of Object.entries(EXPECTED[kind])) {
        if (typeof who !== 'string') expect(who, `${kind}.${field}`).toContain('admin');
      }
    }
  });

  it('lets exactly the expected roles past authorization on every root field, and a refused call changes nothing: 0 mismatches', async () => {
    const cases: Array<{ role: Role; kind: 'Query' | 'Mutation'; field: string; query: string; expected: Outcome }> = [];
    for (const kind of ['Query', 'Mutation'] as const) {
      for (const field of Object.values(roots[kind].getFields())) {
        const who = EXPECTED[kind][field.name];
        if (!who) continue; // reported by the test above
        for (const role of ROLES) cases.push({ role, kind, field: field.name, query: operationFor(kind, field), expected: expectedOutcome(role, who) });
      }
    }
    expect(cases.length).toBe(ROLES.length * (Object.keys(EXPECTED.Query).length + Object.keys(EXPECTED.Mutation).length));
    const run = (list: typeof cases) => Promise.all(list.map((c) => t.graphql(c.query, {}, { bearer: bearers[c.role] })));

    // The refused calls first, all of them, with the whole database compared before and after.
    const refused = cases.filter((c) => c.expected !== 'allowed');
    const allowed = cases.filter((c) => c.expected === 'allowed');
    const before = await databaseState();
    const refusedResults = await run(refused);
    expect(await databaseState()).toEqual(before);
    const allowedResults = await run(allowed);

    const all = [...refused.map((c, i) => ({ ...c, res: refusedResults[i]! })), ...allowed.map((c, i) => ({ ...c, res: allowedResults[i]! }))];
    const mismatches = all
      .map((c) => ({ ...c, actual: classify(c.res) }))
      .filter((c) => c.actual !== c.expected)
      .map((c) => `${c.kind}.${c.field} as ${c.role}: expected ${c.expected}, got ${c.actual} (${JSON.stringify(c.res.errors)}) — ${c.query}`);
    expect(mismatches, mismatches.join('\n')).toEqual([]);
    // Forbidden and unauthenticated answers carry no data for the field, and only the one refusal.
    for (const c of all) {
      if (c.expected === 'allowed') continue;
      expect(c.res.data?.[c.field as never] ?? null, `${c.field} as ${c.role}`).toBeNull();
      expect(c.res.errors?.map((e) => e.extensions?.code), `${c.field} as ${c.role}`).toEqual([c.expected]);
    }
    // Every role is refused something and allowed something: none is a disguised admin or a dead credential.
    for (const role of ROLES.filter((r) => r !== 'admin')) expect(refused.some((c) => c.role === role), role).toBe(true);
    for (const role of ROLES) expect(allowed.some((c) => c.role === role), role).toBe(true);
  });
});

describe('the HTTP routes that authorize like root fields', () => {
  it('lets exactly the expected roles past authorization on the activity import routes, and a refused upload stores nothing', async () => {
    const base = t.app.graphqlUrl.replace(/\/graphql$/, '');
    const body = `${JSON.stringify({ memberId: A.memberId, type: 'CHECK_IN', channel: 'matrix-pos', externalId: randomUUID() })}\n`;
    const call = (route: string, role: Role) =>
      fetch(route.startsWith('POST') ? `${base}/admin/activity-imports` : `${base}/admin/activity-imports/${randomUUID()}`, {
        method: route.startsWith('POST') ? 'POST' : 'GET',
        headers: { ...(bearers[role] ? { authorization: `Bearer ${bearers[role]}` } : {}), ...(route.startsWith('POST') ? { 'content-type': 'application/x-ndjson' } : {}) },
        ...(route.startsWith('POST') ? { body } : {}),
      }).then(async (res) => ({ status: res.status, code: ((await res.json()) as { errors?: Array<{ extensions: { code: string } }> }).errors?.[0]?.extensions.code }));
    const mismatches: string[] = [];
    for (const [route, who] of Object.entries(ROUTES)) {
      for (const role of ROLES) {
        const expected = expectedOutcome(role, who);
        const before = route.startsWith('POST') && expected !== 'allowed' ? await databaseState() : undefined;
        const answer = await call(route, role);
        const actual: Outcome = answer.code === 'UNAUTHENTICATED' || answer.code === 'FORBIDDEN' ? answer.code : 'allowed';
        const status = { allowed: [202, 404], UNAUTHENTICATED: [401], FORBIDDEN: [403] }[expected];
        if (actual !== expected || !status.includes(answer.status)) mismatches.push(`${route} as ${role}: expected ${expected}, got ${answer.status} ${answer.code ?? ''}`);
        if (before) expect(await databaseState(), `${route} as ${role}`).toEqual(before);
      }
    }
    expect(mismatches, mismatches.join('\n')).toEqual([]);
  });
});

describe('the partner statement downloads, which authorize like partnerSettlement', () => {
  it('lets partners alone download a statement (401 anonymous, 403 everyone else), and a refusal writes nothing', async () => {
    const base = t.app.graphqlUrl.replace(/\/graphql$/, '');
    const mismatches: string[] = [];
    for (const path of ['/partner/settlement.csv', '/partner/settlement.pdf']) {
      for (const role of ROLES) {
        const expected = expectedOutcome(role, 'partner');
        const res = await fetch(`${base}${path}?from=2026-01-01&to=2026-02-01`, { headers: bearers[role] ? { authorization: `Bearer ${bearers[role]}` } : {} });
        const status = { allowed: 200, UNAUTHENTICATED: 401, FORBIDDEN: 403 }[expected];
        const code = res.status === 200 ? undefined : ((await res.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code;
        if (res.status === 200) await res.arrayBuffer();
        if (res.status !== status || (expected !== 'allowed' && code !== expected) || (expected !== 'allowed') !== (res.headers.get('content-disposition') === null)) {
          mismatches.push(`GET ${path} as ${role}: expected ${expected}, got ${res.status} ${code ?? ''}`);
        }
      }
    }
    expect(mismatches, mismatches.join('\n')).toEqual([]);
  });
});

describe('the roles as the documentation states them', () => {
  /** Staff-only operations and who may call them, from the code's point of view (EXPECTED and ROUTES). */
  const staffOperations = new Map<string, readonly Staff[]>([
    ...(['Query', 'Mutation'] as const).flatMap((kind) => Object.entries(EXPECTED[kind]).filter((e): e is [string, readonly Staff[]] => typeof e[1] !== 'string')),
    ...Object.entries(ROUTES),
  ]);
  const contract = fs.readFileSync(new URL('../docs/contract.md', import.meta.url), 'utf8');
  const readme = fs.readFileSync(new URL('../README.md', import.meta.url), 'utf8');

  it("matches docs/contract.md's Roles table, row by row", () => {
    const section = contract.slice(contract.indexOf('\n## Roles\n'), contract.indexOf('\n## ', contract.indexOf('\n## Roles\n') + 1));
    const lines = section.split('\n').filter((line) => line.startsWith('|'));
    const header = lines[0]!.split('|').slice(2, -1).map((cell) => cell.trim().replace(/`/g, ''));
    expect(header).toEqual(['admin', 'pm', 'support', 'finance', 'analyst']);
    const documented = new Map<string, Staff[]>();
    for (const line of lines.slice(2)) {
      const [operation, ...marks] = line.split('|').slice(1, -1).map((cell) => cell.trim());
      const name = /^`([^`(]+)/.exec(operation!)![1]!.trim();
      documented.set(name, header.filter((_, i) => marks[i] === '✓') as Staff[]);
    }
    const inCode = new Map([...staffOperations].map(([op, who]) => [op, who.filter((w) => w !== 'channel')]));
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(inCode));
  });

  it("matches the Who column of docs/contract.md's operations table for every staff operation", () => {
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const line of contract.split('\n').filter((l) => /^\| `/.test(l))) {
      const cells = line.split('|').slice(1, -1).map((cell) => cell.trim());
      if (cells.length < 4) continue;
      const who = cells[2]!.split(',').map((w) => w.trim());
      if (!who.every((w) => w in STAFF || w === 'channel')) continue;
      for (const match of cells[0]!.matchAll(/`([A-Za-z]+)[(`]/g)) {
        const op = match[1]!;
        seen.add(op);
        const expected = staffOperations.get(op);
        if (!expected || [...expected].sort().join(',') !== [...who].sort().join(',')) problems.push(`${op}: documented ${who.join(', ')}, code ${expected?.join(', ') ?? 'not a staff operation'}`);
      }
    }
    for (const op of staffOperations.keys()) if (!op.includes(' ') && !seen.has(op)) problems.push(`${op}: missing from the operations table`);
    expect(problems).toEqual([]);
  });

  it("matches the README's list of what each staff role may call", () => {
    const section = readme.slice(readme.indexOf('\n## Staff roles'), readme.indexOf('\n## ', readme.indexOf('\n## Staff roles') + 1));
    // One bullet per role, wrapped over several lines: "- **Support** (`support`): `membershipTimeline`, …".
    const bullets = section.split('\n- ').slice(1).map((bullet) => bullet.split('\n\n')[0]!.replace(/\n\s*/g, ' '));
    for (const name of ['pm', 'support', 'finance', 'analyst'] as const) {
      const bullet = bullets.find((b) => b.startsWith('**') && b.includes(`(\`${name}\`)`));
      expect(bullet, `README bullet for ${name}`).toBeDefined();
      const listed = [...new Set([...bullet!.matchAll(/`([A-Za-z]+)`|`((?:GET|POST) [^`]+)`/g)].map((m) => m[1] ?? m[2]!))].filter((op) => op !== name);
      const inCode = [...staffOperations].filter(([, who]) => who.includes(name)).map(([op]) => op);
      expect(listed.sort(), name).toEqual(inCode.sort());
    }
  });
});

describe('foreign ids through every id-taking entry point', () => {
  /** Everything a refused request must leave untouched. */
  async function snapshot(): Promise<unknown> {
    const [counts] = await t.db.query(
      `select (select count(*) from redemption)::int as redemptions,
              (select count(*) from redemption_void)::int as voids,
              (select coalesce(sum(used), 0) from entitlement)::int as used,
              (select count(*) from issued_token)::int as tokens,
              (select count(*) from voucher_code where claimed_at is not null)::int as claims`,
    );
    const memberships = await t.db.query(`select id, status, cancel_at_period_end from membership order by id`);
    const entitlements = await t.db.query(`select id, status, used from entitlement order by id`);
    const apiKeys = await t.db.query(`select id, partner_id, revoked_at, expires_at, replaced_by_id from partner_api_key order by id`);
    return { counts, memberships, entitlements, apiKeys };
  }

  it('answers over 1,000 foreign and unknown ids with NOT_FOUND, null data, the same message, and changes nothing', async () => {
    // A's real ids: entitlements, membership, a redemption by P1 of A's CAR_WASH token, a voucher claim.
    const issued = await t.graphql(`mutation($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }`, { id: A.entitlementIds.CAR_WASH }, { bearer: A.bearer });
    expect(issued.errors).toBeUndefined();
    const redeemed = await t.graphql(
      `mutation($token: String!) { redeemEntitlement(token: $token, idempotencyKey: "matrix") { id } }`,
      { token: issued.data.issueEntitlementToken.token },
      { bearer: P1 },
    );
    expect(redeemed.errors).toBeUndefined();
    const redemptionId: string = redeemed.data.redeemEntitlement.id;
    const upload = await t.graphql(`mutation { uploadVoucherCodes(benefitCode: "COFFEE", codes: ["MATRIX-1", "MATRIX-2"]) { accepted } }`, {}, { bearer: P2 });
    expect(upload.errors).toBeUndefined();
    const claim = await t.graphql(`mutation($id: ID!) { claimVoucher(entitlementId: $id) { code } }`, { id: A.entitlementIds.COFFEE }, { bearer: A.bearer });
    expect(claim.errors).toBeUndefined();
    // …and a reward A bought with points.
    const earned = await t.graphql(
      `mutation($m: ID!) { recordActivity(input: { memberId: $m, type: PURCHASE, channel: "app", externalId: "matrix-order", amount: { amount: 50000, currency: "CNY" } }) { points } }`,
      { m: A.memberId },
      { bearer: admin },
    );
    expect(earned.errors, JSON.stringify(earned.errors)).toBeUndefined();
    const reward = await t.graphql(`mutation { redeemReward(rewardCode: "COFFEE_REWARD", idempotencyKey: "matrix") { redemption { id } } }`, {}, { bearer: A.bearer });
    expect(reward.errors, JSON.stringify(reward.errors)).toBeUndefined();

    /** A's ids by the argument name that takes them, and who is the wrong owner for them. */
    const foreignIds: Record<string, string[]> = {
      entitlementId: Object.values(A.entitlementIds),
      membershipId: [A.membershipId],
      redemptionId: [redemptionId, reward.data.redeemReward.redemption.id],
      // P1's own API key (`rotateMyPartnerApiKey(id)`, `revokeMyPartnerApiKey(id)`).
      id: [(await t.graphql(`{ myPartnerApiKeys { id current } }`, {}, { bearer: P1 })).data.myPartnerApiKeys.find((k: { current: boolean }) => k.current).id],
    };
    const wrongOwners: Record<'member' | 'partner', string[]> = { member: [B.bearer, admin], partner: [P2] };

    // Every id-taking root field a non-admin may call, from the schema.
    const entryPoints: Array<{ kind: 'Query' | 'Mutation'; field: GraphQLField<unknown, unknown>; idArg: string; who: 'member' | 'partner' }> = [];
    for (const kind of ['Query', 'Mutation'] as const) {
      for (const field of Object.values(roots[kind].getFields())) {
        const idArgs = field.args.filter((a) => getNamedType(a.type).name === 'ID');
        const who = EXPECTED[kind][field.name];
        if (!idArgs.length || who === undefined || typeof who !== 'string') continue;
        expect(who, `${field.name} takes an id and is open to everyone`).not.toBe('everyone');
        for (const arg of idArgs) {
          expect(foreignIds[arg.name], `no foreign id source for ${field.name}(${arg.name}): add one`).toBeDefined();
          entryPoints.push({ kind, field, idArg: arg.name, who: who as 'member' | 'partner' });
        }
      }
    }
    expect(entryPoints.map((e) => e.field.name).sort()).toEqual(expect.arrayContaining(['cancelMembership', 'claimVoucher', 'issueEntitlementToken', 'voidRedemption']));

    // At least 1,000, as many foreign as unknown for every entry point.
    const ATTEMPTS = Math.ceil(1000 / (2 * entryPoints.length)) * 2 * entryPoints.length;
    const attempts = Array.from({ length: ATTEMPTS }, (_, i) => {
      const entry = entryPoints[i % entryPoints.length]!;
      const round = Math.floor(i / entryPoints.length);
      const foreign = round % 2 === 0;
      const pool = foreignIds[entry.idArg]!;
      const id = foreign ? pool[Math.floor(round / 2) % pool.length]! : randomUUID();
      const owners = wrongOwners[entry.who];
      const bearer = owners[Math.floor(round / 2) % owners.length]!;
      const query = operationFor(entry.kind, entry.field, (arg) => (arg === entry.idArg ? id : randomUUID()));
      return { entry, foreign, id, bearer, query };
    });

    const before = await snapshot();
    const results: Awaited<ReturnType<TestApp['graphql']>>[] = [];
    for (let i = 0; i < attempts.length; i += 50) {
      results.push(...(await Promise.all(attempts.slice(i, i + 50).map((a) => t.graphql(a.query, {}, { bearer: a.bearer })))));
    }
    expect(await snapshot()).toEqual(before);

    const problems: string[] = [];
    const shapes = new Map<string, Set<string>>();
    attempts.forEach((a, i) => {
      const res = results[i]!;
      const name = a.entry.field.name;
      if (res.data?.[name as never] != null) problems.push(`${name}(${a.id}) ${a.foreign ? 'foreign' : 'unknown'}: returned data ${JSON.stringify(res.data)}`);
      if (res.errors?.length !== 1 || res.errors[0]!.extensions?.code !== 'NOT_FOUND') {
        problems.push(`${name}(${a.id}) ${a.foreign ? 'foreign' : 'unknown'}: expected one NOT_FOUND, got ${JSON.stringify(res.errors)}`);
        return;
      }
      const err = res.errors[0]!;
      const shape = JSON.stringify({ message: err.message.split(a.id).join('<id>'), extensions: Object.keys(err.extensions ?? {}).sort(), status: res.status });
      const key = `${name} ${a.foreign ? 'foreign' : 'unknown'}`;
      if (!shapes.has(key)) shapes.set(key, new Set());
      shapes.get(key)!.add(shape);
    });
    for (const entry of entryPoints) {
      const foreign = [...(shapes.get(`${entry.field.name} foreign`) ?? [])];
      const unknown = [...(shapes.get(`${entry.field.name} unknown`) ?? [])];
      if (foreign.length !== 1 || unknown.length !== 1 || foreign[0] !== unknown[0]) {
        problems.push(`${entry.field.name}: foreign and unknown ids answer differently: ${JSON.stringify({ foreign, unknown })}`);
      }
    }
    expect(problems, problems.slice(0, 30).join('\n')).toEqual([]);
    expect(results).toHaveLength(ATTEMPTS);
    expect(attempts.filter((a) => a.foreign).length).toBe(ATTEMPTS / 2);
  });
});
