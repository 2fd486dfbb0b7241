// Issue 11 part 5, the partner portal's backend: a partner manages its own API keys signed in
// with one of them (list, create, rotate with an overlap, revoke; another partner's keys are
// NOT_FOUND), and downloads its settlement statement as CSV and PDF with the figures of
// partnerSettlement; on a real PostgreSQL through the gateway, the app's clock moved by the tests.
import { randomUUID } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../src/modules/auth/index.js';
import {
  CreateMyPartnerApiKeyDocument,
  MyPartnerApiKeysDocument,
  RevokeMyPartnerApiKeyDocument,
  RotateMyPartnerApiKeyDocument,
} from './generated/operations.js';
import { startTestApp, type TestApp } from './support/app.js';

const SETTLEMENT = `query Settlement($from: DateTimeISO!, $to: DateTimeISO!) {
  partnerSettlement(from: $from, to: $to) {
    partner { id name } from to currency
    lines { benefit { code name } redemptions voidedRedemptions units unitPrice { amount currency } amount { amount currency } }
    totalRedemptions totalVoidedRedemptions totalUnits totalAmount { amount currency }
    points { issued burned issuePricePer1000 { amount currency } burnPricePer1000 { amount currency } issuedAmount { amount currency } burnedAmount { amount currency } }
  }
}`;

const HOUR = 3_600_000;
// The app's clock: the tests move it past rotation overlaps.
let clock = new Date();
const advance = (ms: number) => {
  clock = new Date(clock.getTime() + ms);
};

let t: TestApp;
let base: string;

beforeAll(async () => {
  t = await startTestApp({ now: () => clock });
  base = t.app.url;
});
afterAll(async () => {
  await t?.close();
});

/** True when the key authenticates a partner operation now. */
async function works(key: string): Promise<boolean> {
  const res = await t.graphql(MyPartnerApiKeysDocument, {}, { bearer: key });
  if (res.errors) {
    expect(res.errors.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    return false;
  }
  return true;
}

async function keyRow(id: string) {
  const [row] = await t.db.query<{ expires_at: Date | null; revoked_at: Date | null; replaced_by_id: string | null }>(
    'select expires_at, revoked_at, replaced_by_id from partner_api_key where id = $1',
    [id],
  );
  return row!;
}

describe('a partner manages its own API keys', () => {
  it("lists the caller's keys, marking the one in use, never showing a key or its hash", async () => {
    const first = await t.partnerKey('skymiles');
    const second = await t.partnerKey('skymiles');
    await t.partnerKey('brewbar');
    const res = await t.graphql(MyPartnerApiKeysDocument, {}, { bearer: second });
    expect(res.errors).toBeUndefined();
    const keys = res.data.myPartnerApiKeys;
    expect(keys.map((k) => k.prefix.startsWith('cgk_skymiles_'))).toEqual(keys.map(() => true));
    expect(keys.filter((k) => k.current)).toHaveLength(1);
    expect(keys.find((k) => k.current)!.prefix).toBe(second.slice(0, keys[0]!.prefix.length));
    expect(keys.every((k) => k.status === 'ACTIVE' && k.revokedAt === null && k.expiresAt === null)).toBe(true);
    const text = JSON.stringify(res);
    for (const key of [first, second]) {
      expect(text).not.toContain(key);
      expect(text).not.toContain(hashApiKey(key));
    }
  });

  it('creates a key shown once, which works at once, and audits it as the partner', async () => {
    const bearer = await t.partnerKey('skymiles');
    const res = await t.graphql(CreateMyPartnerApiKeyDocument, { label: '  till 12  ' }, { bearer });
    expect(res.errors).toBeUndefined();
    const created = res.data.createMyPartnerApiKey;
    expect(created).toMatchObject({ partnerId: 'skymiles', label: 'till 12' });
    expect(created.key.startsWith(created.prefix)).toBe(true);
    expect(await works(created.key)).toBe(true);
    const [audit] = await t.db.query<{ actor: string; after: Record<string, unknown> }>(`select actor, after from audit_log where action = 'partner_api_key.create' and subject = $1`, [created.id]);
    expect(audit).toMatchObject({ actor: 'partner:skymiles', after: { id: created.id, partnerId: 'skymiles', label: 'till 12' } });
    expect(JSON.stringify(audit)).not.toContain(created.key);
  });

  it('rotates a key: the successor works at once, the old key until its overlap ends and not after', async () => {
    const old = await t.partnerKey('skymiles');
    const oldId = (await t.graphql(MyPartnerApiKeysDocument, {}, { bearer: old })).data.myPartnerApiKeys.find((k) => k.current)!.id;
    const res = await t.graphql(RotateMyPartnerApiKeyDocument, { id: oldId, overlapSeconds: 3600, label: 'tills, spring' }, { bearer: old });
    expect(res.errors).toBeUndefined();
    const { successor, previous } = res.data.rotateMyPartnerApiKey;
    expect(previous).toEqual({ id: oldId, status: 'ROTATING', expiresAt: new Date(clock.getTime() + 3600_000).toISOString(), replacedById: successor.id });
    expect(successor.label).toBe('tills, spring');
    expect(await works(successor.key)).toBe(true);

    advance(3599_000);
    expect(await works(old)).toBe(true);
    advance(1_000);
    expect(await works(old)).toBe(false);
    expect(await works(successor.key)).toBe(true);
    const listed = (await t.graphql(MyPartnerApiKeysDocument, {}, { bearer: successor.key })).data.myPartnerApiKeys.find((k) => k.id === oldId);
    expect(listed).toMatchObject({ status: 'EXPIRED', replacedById: successor.id, current: false });
    const [audit] = await t.db.query<{ actor: string; before: unknown; after: unknown }>(`select actor, before, after from audit_log where action = 'partner_api_key.rotate' and subject = $1`, [oldId]);
    expect(audit).toMatchObject({ actor: 'partner:skymiles', before: { expiresAt: null, replacedById: null }, after: { replacedById: successor.id } });
  });

  it('rotates with the default overlap of a day, and with overlapSeconds 0 the old key stops at once', async () => {
    const old = await t.partnerKey('skymiles');
    const id = (await t.graphql(MyPartnerApiKeysDocument, {}, { bearer: old })).data.myPartnerApiKeys.find((k) => k.current)!.id;
    const byDefault = await t.graphql(RotateMyPartnerApiKeyDocument, { id }, { bearer: old });
    expect(byDefault.data.rotateMyPartnerApiKey.previous.expiresAt).toBe(new Date(clock.getTime() + 24 * HOUR).toISOString());

    const next = byDefault.data.rotateMyPartnerApiKey.successor;
    const now = await t.graphql(RotateMyPartnerApiKeyDocument, { id: next.id, overlapSeconds: 0 }, { bearer: next.key });
    expect(now.errors).toBeUndefined();
    expect(await works(next.key)).toBe(false);
    expect(new Date((await keyRow(next.id)).expires_at!).getTime()).toBe(clock.getTime());
    expect(await works(now.data.rotateMyPartnerApiKey.successor.key)).toBe(true);
  });

  it('refuses an overlap outside 0 to 7 days, and a second rotation of one key, changing nothing', async () => {
    const bearer = await t.partnerKey('skymiles');
    const id = (await t.graphql(MyPartnerApiKeysDocument, {}, { bearer })).data.myPartnerApiKeys.find((k) => k.current)!.id;
    const keysBefore = await t.db.query('select * from partner_api_key order by id');
    for (const overlapSeconds of [-1, 7 * 86_400 + 1]) {
      const res = await t.graphql(RotateMyPartnerApiKeyDocument, { id, overlapSeconds }, { bearer });
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', problems: [{ field: 'overlapSeconds' }] });
    }
    expect(await t.db.query('select * from partner_api_key order by id')).toEqual(keysBefore);

    const first = await t.graphql(RotateMyPartnerApiKeyDocument, { id, overlapSeconds: 7 * 86_400 }, { bearer });
    expect(first.errors).toBeUndefined();
    const again = await t.graphql(RotateMyPartnerApiKeyDocument, { id, overlapSeconds: 60 }, { bearer });
    expect(again.errors?.[0]?.extensions).toEqual({ code: 'API_KEY_NOT_ROTATABLE', apiKeyId: id, reason: 'ROTATED', successorId: first.data.rotateMyPartnerApiKey.successor.id });
  });

  it('revokes a key at once, a rotating one too', async () => {
    const bearer = await t.partnerKey('skymiles');
    const victim = await t.graphql(CreateMyPartnerApiKeyDocument, {}, { bearer });
    const rotating = await t.graphql(CreateMyPartnerApiKeyDocument, {}, { bearer });
    const rotated = await t.graphql(RotateMyPartnerApiKeyDocument, { id: rotating.data.createMyPartnerApiKey.id }, { bearer });
    expect(rotated.errors).toBeUndefined();
    for (const created of [victim.data.createMyPartnerApiKey, rotating.data.createMyPartnerApiKey]) {
      expect(await works(created.key)).toBe(true);
      const res = await t.graphql(RevokeMyPartnerApiKeyDocument, { id: created.id }, { bearer });
      expect(res.errors).toBeUndefined();
      expect(res.data.revokeMyPartnerApiKey).toMatchObject({ id: created.id, status: 'REVOKED', current: false, revokedAt: clock.toISOString() });
      expect(await works(created.key)).toBe(false);
      // Revoking again answers the revoked key as it is.
      expect((await t.graphql(RevokeMyPartnerApiKeyDocument, { id: created.id }, { bearer })).data.revokeMyPartnerApiKey.revokedAt).toBe(clock.toISOString());
    }
    const audits = await t.db.query<{ actor: string }>(`select actor from audit_log where action = 'partner_api_key.revoke' and subject = $1`, [victim.data.createMyPartnerApiKey.id]);
    expect(audits).toEqual([{ actor: 'partner:skymiles' }]);
  });

  it("refuses to revoke the partner's last key in service (LAST_ACTIVE_API_KEY), a key being rotated out not counting", async () => {
    // A partner of its own: its only key, then that key rotated (the successor is the one in service).
    await t.db.query(`insert into partner (id, name) values ('lonely', '{"en":"Lonely","zh-CN":"孤独"}')`);
    const only = await t.partnerKey('lonely');
    const onlyId = (await t.graphql(MyPartnerApiKeysDocument, {}, { bearer: only })).data.myPartnerApiKeys[0]!.id;
    const refused = await t.graphql(RevokeMyPartnerApiKeyDocument, { id: onlyId }, { bearer: only });
    expect(refused.errors?.[0]?.extensions).toEqual({ code: 'LAST_ACTIVE_API_KEY', apiKeyId: onlyId });
    expect(await works(only)).toBe(true);

    const rotation = (await t.graphql(RotateMyPartnerApiKeyDocument, { id: onlyId }, { bearer: only })).data.rotateMyPartnerApiKey;
    const successorRefused = await t.graphql(RevokeMyPartnerApiKeyDocument, { id: rotation.successor.id }, { bearer: only });
    expect(successorRefused.errors?.[0]?.extensions?.code).toBe('LAST_ACTIVE_API_KEY');
    // The old one, on its way out, may go now.
    const oldGone = await t.graphql(RevokeMyPartnerApiKeyDocument, { id: onlyId }, { bearer: rotation.successor.key });
    expect(oldGone.data.revokeMyPartnerApiKey.status).toBe('REVOKED');
    expect(await works(rotation.successor.key)).toBe(true);
  });

  it("never shows or touches another partner's keys: NOT_FOUND, exactly like an unknown id", async () => {
    const sky = await t.partnerKey('skymiles');
    const brew = await t.partnerKey('brewbar');
    const skyId = (await t.graphql(MyPartnerApiKeysDocument, {}, { bearer: sky })).data.myPartnerApiKeys.find((k) => k.current)!.id;
    const brewList = (await t.graphql(MyPartnerApiKeysDocument, {}, { bearer: brew })).data.myPartnerApiKeys;
    expect(brewList.some((k) => k.id === skyId || k.prefix.startsWith('cgk_skymiles_'))).toBe(false);
    const before = await keyRow(skyId);
    for (const id of [skyId, randomUUID(), 'not-a-uuid']) {
      const rotate = await t.graphql(RotateMyPartnerApiKeyDocument, { id }, { bearer: brew });
      const revoke = await t.graphql(RevokeMyPartnerApiKeyDocument, { id }, { bearer: brew });
      for (const res of [rotate, revoke]) {
        expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
        expect(res.errors![0]!.message).toBe(`API key ${id} not found`);
      }
    }
    expect(await keyRow(skyId)).toEqual(before);
    expect(await works(sky)).toBe(true);
  });

  it('caps keys in service at 10 (API_KEY_LIMIT_REACHED); a partner at the cap may still rotate', async () => {
    const bearer = await t.partnerKey('streamflix');
    for (let i = 1; i < 10; i++) expect((await t.graphql(CreateMyPartnerApiKeyDocument, { label: `till ${i}` }, { bearer })).errors).toBeUndefined();
    const refused = await t.graphql(CreateMyPartnerApiKeyDocument, { label: 'one too many' }, { bearer });
    expect(refused.errors?.[0]?.extensions).toEqual({ code: 'API_KEY_LIMIT_REACHED', limit: 10 });
    const [{ n }] = (await t.db.query<{ n: number }>(`select count(*)::int as n from partner_api_key where partner_id = 'streamflix'`)) as [{ n: number }];
    expect(n).toBe(10);

    const id = (await t.graphql(MyPartnerApiKeysDocument, {}, { bearer })).data.myPartnerApiKeys.find((k) => k.current)!.id;
    expect((await t.graphql(RotateMyPartnerApiKeyDocument, { id }, { bearer })).errors).toBeUndefined();
  });

  it('holds the cap under concurrent creations', async () => {
    await t.db.query(`insert into partner (id, name) values ('busy', '{"en":"Busy","zh-CN":"忙"}')`);
    const bearer = await t.partnerKey('busy');
    const results = await Promise.all(Array.from({ length: 14 }, () => t.graphql(CreateMyPartnerApiKeyDocument, {}, { bearer })));
    expect(results.filter((r) => !r.errors)).toHaveLength(9);
    expect(results.filter((r) => r.errors?.[0]?.extensions?.code === 'API_KEY_LIMIT_REACHED')).toHaveLength(5);
    const [{ n }] = (await t.db.query<{ n: number }>(`select count(*)::int as n from partner_api_key where partner_id = 'busy' and revoked_at is null`)) as [{ n: number }];
    expect(n).toBe(10);
  });
});

/** RFC 4180 records of a CSV text (quoted fields, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\r' && text[i + 1] === '\n') row.push(field), rows.push(row), (row = []), (field = ''), i++;
    else field += c;
  }
  return rows;
}

/** The text a PDF shows: its content streams inflated, the hex strings of its TJ operators decoded (WinAnsi: Latin-1 and its dashes). */
function pdfText(pdf: Buffer): string {
  const raw = pdf.toString('latin1');
  const texts: string[] = [];
  for (const match of raw.matchAll(/stream\r?\n([\s\S]*?)\r?\nendstream/g)) {
    let content: string;
    try {
      content = inflateSync(Buffer.from(match[1]!, 'latin1')).toString('latin1');
    } catch {
      continue; // not a compressed content stream (fonts, images)
    }
    for (const tj of content.matchAll(/\[(.*?)\] TJ/g)) {
      texts.push([...tj[1]!.matchAll(/<([0-9a-fA-F]*)>/g)].map((h) => Buffer.from(h[1]!, 'hex').toString('latin1')).join('').replace(/\x96/g, '–').replace(/\x97/g, '—'));
    }
  }
  return texts.join('\n');
}

describe('settlement statements as files', () => {
  let sparkwash: string;
  const period = { from: '', to: '' };

  beforeAll(async () => {
    sparkwash = await t.partnerKey('sparkwash');
    // A benefit whose name needs quoting, priced, with a Chinese name for Accept-Language.
    await t.db.query(
      `insert into benefit (id, code, partner_id, kind, name, description, unit_price_amount, unit_price_currency)
       values (gen_random_uuid(), 'RIM_POLISH', 'sparkwash', 'QUOTA', '{"en":"Rim polish, \\"deluxe\\"","zh-CN":"轮毂抛光"}', '{"en":"","zh-CN":""}', 990, 'CNY')`,
    );
    // Three washes redeemed by two members, one of them voided.
    const ids: string[] = [];
    for (const units of [1, 2]) {
      const member = await t.subscribedMember();
      const token = (await t.graphql(`mutation($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }`, { id: member.entitlementIds.CAR_WASH }, { bearer: member.bearer }))
        .data.issueEntitlementToken.token;
      const redeemed = await t.graphql(`mutation($token: String!, $key: String!, $units: Int) { redeemEntitlement(token: $token, idempotencyKey: $key, units: $units) { id } }`, { token, key: randomUUID(), units }, { bearer: sparkwash });
      expect(redeemed.errors).toBeUndefined();
      ids.push(redeemed.data.redeemEntitlement.id);
    }
    expect((await t.graphql(`mutation($id: ID!) { voidRedemption(redemptionId: $id, reason: "wrong car") { id } }`, { id: ids[0] }, { bearer: sparkwash })).errors).toBeUndefined();
    // The program days around the clock (Asia/Shanghai), ten days either side.
    const day = (ms: number) => new Date(clock.getTime() + ms + 8 * HOUR).toISOString().slice(0, 10);
    period.from = day(-240 * HOUR);
    period.to = day(240 * HOUR);
  });

  const download = (format: 'csv' | 'pdf', query: string, headers: Record<string, string> = {}) =>
    fetch(`${base}/partner/settlement.${format}?${query}`, { headers: { authorization: `Bearer ${sparkwash}`, ...headers } });

  async function settlement() {
    const res = await t.graphql(SETTLEMENT, { from: `${period.from}T00:00:00+08:00`, to: `${period.to}T00:00:00+08:00` }, { bearer: sparkwash });
    expect(res.errors).toBeUndefined();
    return res.data.partnerSettlement;
  }

  it("states partnerSettlement's figures as CSV: a row per benefit, the points, the total and the net", async () => {
    const res = await download('csv', `from=${period.from}&to=${period.to}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8; header=present');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="settlement-sparkwash-${period.from}-${period.to}.csv"`);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const text = await res.text();
    expect(text.endsWith('\r\n')).toBe(true);
    const [header, ...rows] = parseCsv(text);
    expect(header).toEqual(['kind', 'code', 'description', 'redemptions', 'voided_redemptions', 'units', 'unit_price', 'price_per', 'amount', 'currency', 'payable_by']);
    const s = await settlement();
    const major = (m: { amount: number } | null) => (m ? (m.amount / 100).toFixed(2) : '');
    const benefitRows = rows.filter((r) => r[0] === 'benefit');
    expect(benefitRows).toEqual(
      s.lines.map((l: any) => [
        'benefit',
        l.benefit.code,
        l.benefit.name,
        String(l.redemptions),
        String(l.voidedRedemptions),
        String(l.units),
        major(l.unitPrice),
        l.unitPrice ? '1 unit' : '',
        major(l.amount),
        l.unitPrice?.currency ?? '',
        'coalition',
      ]),
    );
    // What the redemptions above make of it: two of 1 and 2 units, the first voided.
    expect(benefitRows.find((r) => r[1] === 'CAR_WASH')!.slice(3, 10)).toEqual(['2', '1', '2', '35.00', '1 unit', '70.00', 'CNY']);
    expect(text).toContain('"Rim polish, ""deluxe"""');
    const byKind = Object.fromEntries(rows.map((r) => [r[0], r]));
    expect(byKind.points_issued).toEqual(['points_issued', '', 'Coalition points issued at your till', '', '', String(s.points.issued), major(s.points.issuePricePer1000), '1000 points', major(s.points.issuedAmount), 'CNY', 'partner']);
    expect(byKind.points_burned!.slice(5, 11)).toEqual([String(s.points.burned), major(s.points.burnPricePer1000), '1000 points', major(s.points.burnedAmount), 'CNY', 'coalition']);
    expect(byKind.total_redemptions!.slice(3, 10)).toEqual([String(s.totalRedemptions), String(s.totalVoidedRedemptions), String(s.totalUnits), '', '', major(s.totalAmount), 'CNY']);
    const net = s.totalAmount.amount + s.points.burnedAmount.amount - s.points.issuedAmount.amount;
    expect(byKind.net!.slice(8)).toEqual([(Math.abs(net) / 100).toFixed(2), 'CNY', net >= 0 ? 'coalition' : 'partner']);
  });

  it('names benefits in the language asked for, in UTF-8', async () => {
    const res = await download('csv', `from=${period.from}&to=${period.to}`, { 'accept-language': 'zh-CN' });
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.toString('utf8')).toContain(',RIM_POLISH,轮毂抛光,');
  });

  it("is a PDF statement: the partner's name, the period, the lines and the totals", async () => {
    const res = await download('pdf', `from=${period.from}&to=${period.to}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="settlement-sparkwash-${period.from}-${period.to}.pdf"`);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const pdf = Buffer.from(await res.arrayBuffer());
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.subarray(-6).toString('latin1')).toMatch(/%%EOF\s*$/);
    const text = pdfText(pdf);
    const s = await settlement();
    expect(text).toContain('Settlement statement');
    expect(text).toContain(`${s.partner.name} (sparkwash)`);
    const lastDay = new Date(Date.parse(`${period.to}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    expect(text).toContain(`Period: \n${period.from} – ${lastDay} (Asia/Shanghai)`);
    expect(text).toContain('Redemptions\nVoided\nUnits');
    expect(text).toContain('CAR_WASH');
    expect(text).toContain('CNY 70.00');
    expect(text).toContain(`CNY ${(s.totalAmount.amount / 100).toLocaleString('en-US', { minimumFractionDigits: 2 })}`);
    expect(text).toContain('points at CNY 6.00 per 1,000');
  });

  it('refuses a bad period with 400 BAD_USER_INPUT as JSON, listing every problem, and sends no file', async () => {
    for (const [query, fields] of [
      ['from=2026-13-01&to=yesterday', ['from', 'to']],
      ['to=2026-02-01', ['from']],
      ['from=2026-02-01&to=2026-01-01', ['to']],
      ['from=2025-01-01&to=2026-02-01', ['to']],
    ] as const) {
      for (const format of ['csv', 'pdf'] as const) {
        const res = await download(format, query);
        expect(res.status, `${format} ${query}`).toBe(400);
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        expect(res.headers.get('content-disposition')).toBeNull();
        const body = (await res.json()) as { errors: Array<{ extensions: { code: string; problems: Array<{ field: string }> } }> };
        expect(body.errors[0]!.extensions.code).toBe('BAD_USER_INPUT');
        expect(body.errors[0]!.extensions.problems.map((p) => p.field)).toEqual(fields);
      }
    }
  });

  it('is for partners signed in with a working key: 401 without one or with a revoked one, 403 for a member', async () => {
    const query = `from=${period.from}&to=${period.to}`;
    const anonymous = await fetch(`${base}/partner/settlement.csv?${query}`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as any).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    const member = await fetch(`${base}/partner/settlement.pdf?${query}`, { headers: { authorization: `Bearer ${await t.memberToken(`m-${randomUUID()}`)}` } });
    expect(member.status).toBe(403);
    expect(((await member.json()) as any).errors[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' }, message: 'A member may not call GET /partner/settlement.pdf' });

    const spare = (await t.graphql(CreateMyPartnerApiKeyDocument, {}, { bearer: sparkwash })).data.createMyPartnerApiKey;
    expect((await download('csv', query, { authorization: `Bearer ${spare.key}` })).status).toBe(200);
    await t.graphql(RevokeMyPartnerApiKeyDocument, { id: spare.id }, { bearer: sparkwash });
    const revoked = await download('csv', query, { authorization: `Bearer ${spare.key}` });
    expect(revoked.status).toBe(401);
    expect(((await revoked.json()) as any).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    const post = await fetch(`${base}/partner/settlement.csv?${query}`, { method: 'POST', headers: { authorization: `Bearer ${sparkwash}` } });
    expect(post.status).toBe(405);
  });
});
