import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type SubscribedMember, type TestApp } from './support/app.js';

// The console's partner portal in a real Chromium (Debian's), against a real gateway and
// PostgreSQL: a partner signs in with its API key, sees and voids its members' redemptions, reads
// its points month by month, shows and downloads its settlement statement (CSV and PDF, fetched
// with its key), uploads voucher codes, and manages its keys (a secret shown once, a rotation
// with an overlap, revocations, the last key refused); staff are not offered the portal, nor the
// partner staff pages.

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
/** A folder (e.g. docs/img) to save a screenshot of each page in, as console-<page>.png. */
const SCREENSHOTS = process.env.CONSOLE_SCREENSHOTS;
const NO_CHROMIUM = fs.existsSync(CHROMIUM)
  ? undefined
  : `No Chromium at ${CHROMIUM}: this test drives a real browser. Install Debian's as root ` +
    '(apt-get update && apt-get install -y chromium; .ci/run does it in CI) or set CHROMIUM_PATH to a Chromium binary.';
const ROOT = path.resolve(import.meta.dirname, '..');
/** The program's time zone (PROGRAM_TIME_ZONE's default), the browser's too: its days are the statement's days. */
const TIME_ZONE = 'Asia/Shanghai';
const PORTAL_PAGES = ['Redemptions', 'Earn and burn', 'Settlement', 'Benefits', 'API keys'];

let t: TestApp;
let browser: Browser;
let context: BrowserContext;
let consoleDir: string;
let sparkwash: string;
/** How far the app's clock runs ahead of real time (moved past the void window). */
let skew = 0;
const pageErrors: Error[] = [];

beforeAll(async () => {
  // The console as `npm run build` builds it, from the sources under test, into a folder of this run.
  consoleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'console-build-'));
  const build = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'vite'), ['build', '--config', 'console/vite.config.ts', '--outDir', consoleDir], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`vite build failed: ${build.stderr}${build.stdout}`);
  t = await startTestApp({ env: { CONSOLE_DIR: consoleDir }, now: () => new Date(Date.now() + skew) });
  sparkwash = await t.partnerKey('sparkwash');
  if (NO_CHROMIUM) return;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: TIME_ZONE, acceptDownloads: true });
  context.on('page', (page) => page.on('pageerror', (error) => pageErrors.push(error)));
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
  if (consoleDir) fs.rmSync(consoleDir, { recursive: true, force: true });
});

beforeEach(() => {
  if (NO_CHROMIUM) throw new Error(NO_CHROMIUM);
});

async function screenshot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOTS) return;
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `console-${name}.png`), fullPage: true });
}

async function signIn(credential: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${t.app.url}/console`);
  await page.getByLabel('Credential').fill(credential);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  return page;
}

const focused = (locator: Locator) => locator.evaluate((el) => el === document.activeElement);
const navLinks = (page: Page) => page.getByRole('navigation').getByRole('link').allInnerTexts();

async function api<T = any>(query: string, variables: Record<string, unknown>, bearer: string): Promise<T> {
  const res = await t.graphql(query, variables, { bearer });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data as T;
}

/** A member redeems `units` car washes at sparkwash with an entitlement token, through the API. */
async function redeemCarWash(member: SubscribedMember, units = 1): Promise<string> {
  const { issueEntitlementToken } = await api(`mutation($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }`, { id: member.entitlementIds.CAR_WASH }, member.bearer);
  const { redeemEntitlement } = await api(
    `mutation($token: String!, $key: String!, $units: Int) { redeemEntitlement(token: $token, idempotencyKey: $key, units: $units) { id } }`,
    { token: issueEntitlementToken.token, key: randomUUID(), units },
    sparkwash,
  );
  return redeemEntitlement.id;
}

/** Today's date in the program's (and the browser's) time zone, and the first of its month. */
function thisMonth(): { first: string; today: string; tomorrow: string } {
  const day = (ms: number) => new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE }).format(new Date(ms));
  const today = day(Date.now());
  return { first: `${today.slice(0, 8)}01`, today, tomorrow: day(Date.now() + 86_400_000) };
}

function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\r' && text[i + 1] === '\n') row.push(cell), rows.push(row), (row = []), (cell = ''), i++;
    else cell += c;
  }
  return rows;
}

const SETTLEMENT = `query($from: DateTimeISO!, $to: DateTimeISO!) { partnerSettlement(from: $from, to: $to) {
  lines { benefit { code name } redemptions voidedRedemptions units unitPrice { amount currency } amount { amount currency } }
  totalRedemptions totalVoidedRedemptions totalUnits totalAmount { amount currency }
  points { issued burned issuedAmount { amount currency } burnedAmount { amount currency } }
} }`;

describe('the partner portal in the console', () => {
  let member: SubscribedMember;
  let redemptionId: string;
  let page: Page;

  beforeAll(async () => {
    // What the partner's tills did this month: a member redeemed twice with tokens, earned 128
    // points on a purchase and burned 50.
    member = await t.subscribedMember();
    redemptionId = await redeemCarWash(member, 2);
    const card = async () => (await api(`mutation { issueMembershipCard(partnerId: "sparkwash") { token } }`, {}, member.bearer)).issueMembershipCard.token;
    await api(`mutation($card: String!, $order: PartnerOrderInput!) { earnPoints(card: $card, order: $order) { member } }`, { card: await card(), order: { externalId: `o-${randomUUID()}`, amount: { amount: 12_800, currency: 'CNY' } } }, sparkwash);
    await api(`mutation($card: String!, $key: String!) { burnPoints(card: $card, points: 50, idempotencyKey: $key) { id } }`, { card: await card(), key: randomUUID() }, sparkwash);
  });

  it('signs a partner in with its API key and offers it the portal only, its redemptions first', async () => {
    page = await signIn(sparkwash);
    expect(await page.locator('.who').innerText()).toContain(sparkwash.slice(0, 12));
    await page.getByRole('heading', { name: 'Redemptions', level: 1 }).waitFor();
    expect(await navLinks(page)).toEqual(PORTAL_PAGES);
  });

  it('lists the redemption the member made with a token, with the pseudonym the partner knows, and voids another with a reason', async () => {
    const voidable = await redeemCarWash(member, 1);
    await page.reload();
    const row = page.locator(`tr[data-redemption="${redemptionId}"]`);
    await row.waitFor();
    const { partnerRedemptions } = await api(`{ partnerRedemptions(first: 10) { edges { node { id memberPseudonym } } } }`, {}, sparkwash);
    expect(partnerRedemptions.edges.map((e: any) => e.node.id)).toEqual([voidable, redemptionId]); // newest first, as listed
    expect(await page.locator('tr[data-redemption]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-redemption')))).toEqual([voidable, redemptionId]);
    expect(await row.locator('code.pseudonym').innerText()).toBe(partnerRedemptions.edges[1].node.memberPseudonym);
    expect(await row.innerText()).toContain('Car wash');

    const other = page.locator(`tr[data-redemption="${voidable}"]`);
    await other.getByRole('button', { name: /^Void the redemption/ }).click();
    expect(await focused(other.getByLabel('Reason for voiding'))).toBe(true);
    await page.keyboard.type('wrong car');
    await other.getByRole('button', { name: 'Void it' }).click();
    const done = page.locator(`tr[data-redemption="${voidable}"] [role=status]`);
    await done.waitFor();
    expect(await focused(done)).toBe(true);
    expect(await page.locator(`tr[data-redemption="${voidable}"]`).innerText()).toContain('wrong car');
    await screenshot(page, 'portal-redemptions');

    // Past the void window the server refuses, and the refusal shows next to the redemption.
    skew += 16 * 60_000;
    await row.getByRole('button', { name: /^Void the redemption/ }).click();
    await row.getByLabel('Reason for voiding').fill('too late');
    await row.getByRole('button', { name: 'Void it' }).click();
    const alert = row.getByRole('alert');
    await alert.waitFor();
    expect(await alert.locator('[data-code]').getAttribute('data-code')).toBe('VOID_WINDOW_CLOSED');
    expect(await focused(alert)).toBe(true);
  });

  it('filters redemptions by benefit and pages with "Show more"', async () => {
    for (let i = 0; i < 20; i++) await redeemCarWash(await t.subscribedMember());
    await page.reload();
    await page.locator('tr[data-redemption]').first().waitFor();
    expect(await page.locator('tr[data-redemption]').count()).toBe(20);
    await page.getByRole('button', { name: 'Show more' }).click();
    await expect.poll(() => page.locator('tr[data-redemption]').count()).toBe(22);
    expect(await page.getByRole('button', { name: 'Show more' }).isHidden()).toBe(true);

    await page.getByLabel('Benefit').selectOption({ label: 'Car wash (CAR_WASH)' });
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    await expect.poll(() => page.locator('tr[data-redemption]').count()).toBe(20);
    const other = (await api(`{ partnerBenefits { code } }`, {}, sparkwash)).partnerBenefits.find((b: any) => b.code !== 'CAR_WASH');
    if (other) {
      await page.getByLabel('Benefit').selectOption(other.code);
      await page.getByRole('button', { name: 'Show', exact: true }).click();
      await expect.poll(() => page.locator('.portal-results').innerText()).toContain('No redemptions match.');
    }
  });

  it('shows the points issued and burned at its tills this month', async () => {
    await page.getByRole('link', { name: 'Earn and burn' }).click();
    const table = page.locator('table.portal-points');
    await table.waitFor();
    const cells = await table.locator('tbody tr').first().locator('td').allInnerTexts();
    expect(cells[1]).toBe('128');
    expect(cells[3]).toBe('50');
    await screenshot(page, 'portal-points');
  });

  it("shows the statement of a period and downloads it as CSV and PDF with partnerSettlement's figures", async () => {
    await page.getByRole('link', { name: 'Settlement' }).click();
    const first = page.getByLabel('First day');
    await first.waitFor();
    // By default the last calendar month.
    const month = thisMonth();
    const lastMonthStart = new Date(`${month.first}T00:00:00Z`);
    lastMonthStart.setUTCMonth(lastMonthStart.getUTCMonth() - 1);
    expect(await first.inputValue()).toBe(lastMonthStart.toISOString().slice(0, 10));
    expect(await page.getByLabel('Last day').inputValue()).toBe(new Date(Date.parse(`${month.first}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10));

    await first.fill(month.first);
    await page.getByLabel('Last day').fill(month.today);
    await page.getByRole('button', { name: 'Show statement' }).click();
    const heading = page.locator('#portal-statement-title');
    await expect.poll(() => heading.innerText()).toMatch(/^Statement of /);
    await expect.poll(() => focused(heading)).toBe(true);
    const statement = page.locator('section.portal-settlement');
    const period = { from: `${month.first}T00:00:00+08:00`, to: `${month.tomorrow}T00:00:00+08:00` };
    const s = (await api(SETTLEMENT, period, sparkwash)).partnerSettlement;
    const carWash = s.lines.find((l: any) => l.benefit.code === 'CAR_WASH');
    expect(carWash.units).toBeGreaterThanOrEqual(22);
    const carWashRow = statement.locator('tr', { hasText: 'CAR_WASH' });
    expect((await carWashRow.locator('td').allInnerTexts()).slice(1, 4)).toEqual([String(carWash.redemptions), String(carWash.voidedRedemptions), String(carWash.units)]);
    const net = s.totalAmount.amount + s.points.burnedAmount.amount - s.points.issuedAmount.amount;
    expect(await statement.locator('.portal-net').getAttribute('data-net')).toBe(String(net));
    await screenshot(page, 'portal-settlement');

    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    expect(csv.suggestedFilename()).toBe(`settlement-sparkwash-${month.first}-${month.tomorrow}.csv`);
    const text = fs.readFileSync((await csv.path())!, 'utf8');
    const [header, ...rows] = parseCsv(text);
    expect(header![0]).toBe('kind');
    const major = (m: { amount: number } | null) => (m ? (m.amount / 100).toFixed(2) : '');
    expect(rows.filter((r) => r[0] === 'benefit').map((r) => r.slice(1, 10))).toEqual(
      s.lines.map((l: any) => [l.benefit.code, l.benefit.name, String(l.redemptions), String(l.voidedRedemptions), String(l.units), major(l.unitPrice), l.unitPrice ? '1 unit' : '', major(l.amount), l.unitPrice?.currency ?? '']),
    );
    const byKind = Object.fromEntries(rows.map((r) => [r[0], r]));
    expect(byKind.points_issued![5]).toBe(String(s.points.issued));
    expect(byKind.points_burned![5]).toBe(String(s.points.burned));
    expect(byKind.total_redemptions![8]).toBe(major(s.totalAmount));
    expect(byKind.net![8]).toBe((Math.abs(net) / 100).toFixed(2));
    const saved = page.locator('.portal-outcome [role=status]');
    expect(await saved.getAttribute('data-file')).toBe(csv.suggestedFilename());

    const [pdf] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download PDF' }).click()]);
    expect(pdf.suggestedFilename()).toBe(`settlement-sparkwash-${month.first}-${month.tomorrow}.pdf`);
    const bytes = fs.readFileSync((await pdf.path())!);
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(bytes.length).toBeGreaterThan(1000);
  });

  it('shows a bad period refused at its field, for the statement and for a download', async () => {
    await page.getByLabel('First day').fill('2025-03-01');
    await page.getByLabel('Last day').fill('2025-02-01');
    for (const button of ['Show statement', 'Download CSV']) {
      await page.getByRole('button', { name: button }).click();
      const alert = page.locator('.portal-outcome [role=alert]');
      await alert.waitFor();
      expect(await alert.locator('[data-code]').first().getAttribute('data-code')).toBe('BAD_USER_INPUT');
      expect(await focused(alert)).toBe(true);
      expect(await page.locator('[data-field="to"] .problem').innerText()).toBe('must be after from');
      expect(await page.getByLabel('Last day').getAttribute('aria-invalid')).toBe('true');
    }
    await screenshot(page, 'portal-settlement-problems');
  });

  it('shows the statement in Chinese', async () => {
    const month = thisMonth();
    await page.getByRole('button', { name: 'Switch the console to Chinese' }).click();
    await page.getByLabel('起始日').fill(month.first);
    await page.getByLabel('结束日').fill(month.today);
    await page.getByRole('button', { name: '查看结算单' }).click();
    await expect.poll(() => page.locator('#portal-statement-title').innerText()).toContain('的结算单');
    expect(await navLinks(page)).toEqual(['核销记录', '积分发放与消耗', '结算', '权益', 'API 密钥']);
    await screenshot(page, 'portal-settlement-zh');
    await page.getByRole('button', { name: '将控制台切换为英文' }).click();
  });

  it('manages its keys: a new key shown once, a rotation of the key in use, a revocation, and its last key refused', async () => {
    await page.getByRole('link', { name: 'API keys' }).click();
    const rows = page.locator('table.portal-keys tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(1);
    expect(await rows.first().innerText()).toContain('signed in with this key');

    // A new key: its secret shown once, in a region with a warning and a copy button.
    await page.getByLabel(/^Label/).fill('till 2');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secretTitle = page.locator('#portal-secret-title');
    await secretTitle.waitFor();
    expect(await focused(secretTitle)).toBe(true);
    const secret = await page.locator('.portal-secret input').inputValue();
    expect(secret).toMatch(/^cgk_sparkwash_/);
    expect(await page.locator('.portal-secret').innerText()).toContain('This is the only time it is shown');
    await page.getByRole('button', { name: 'Copy' }).click();
    await expect.poll(() => page.locator('.portal-secret [role=status]').innerText()).not.toBe('');
    expect((await api(`{ myPartnerApiKeys { label current } }`, {}, secret)).myPartnerApiKeys.find((k: any) => k.current).label).toBe('till 2');
    await screenshot(page, 'portal-key-created');
    await page.reload();
    await page.locator('table.portal-keys tbody tr', { hasText: 'till 2' }).waitFor();
    expect(await page.locator('.portal-secret').count()).toBe(0);
    expect(await page.content()).not.toContain(secret);

    // Rotating the key in use: the successor shown once, the partner told and offered it.
    const current = page.locator('table.portal-keys tr.current');
    const currentId = await current.getAttribute('data-key');
    await current.getByRole('button', { name: /^Rotate key/ }).click();
    expect(await focused(current.getByLabel('The old key keeps working'))).toBe(true);
    await current.getByLabel('The old key keeps working').selectOption({ label: '1 more hour' });
    await current.getByRole('button', { name: 'Rotate it' }).click();
    await secretTitle.waitFor();
    const successor = await page.locator('.portal-secret input').inputValue();
    expect(await page.locator('.portal-message').innerText()).toContain('You are signed in with the key you rotated');
    expect(await page.locator(`tr[data-key="${currentId}"]`).getAttribute('data-status')).toBe('ROTATING');
    await screenshot(page, 'portal-key-rotated');
    await page.getByRole('button', { name: 'Sign in with the new key' }).click();
    await expect.poll(() => page.locator('.who').innerText()).toContain(successor.slice(0, 12));
    // The key list is drawn again for the new key: the row marked current becomes the successor's.
    await expect.poll(async () => successor.startsWith((await page.locator('table.portal-keys tr.current').getAttribute('data-prefix')) ?? '\u0000')).toBe(true);
    expect(await page.locator('.portal-secret').count()).toBe(0);

    // Revoking a key after confirming.
    const till2 = page.locator('table.portal-keys tbody tr', { hasText: 'till 2' });
    await till2.getByRole('button', { name: /^Revoke key/ }).click();
    expect(await till2.innerText()).toContain('Every till using it is refused at once');
    await till2.getByRole('button', { name: 'Revoke it' }).click();
    await expect.poll(() => page.locator('table.portal-keys tbody tr', { hasText: 'till 2' }).getAttribute('data-status')).toBe('REVOKED');
    expect(await t.graphql(`{ myPartnerApiKeys { id } }`, {}, { bearer: secret }).then((r) => r.errors?.[0]?.extensions?.code)).toBe('UNAUTHENTICATED');

    // Its last key in service (the old one is rotating) cannot be revoked: the code next to it.
    const last = page.locator('table.portal-keys tr.current');
    await last.getByRole('button', { name: /^Revoke key/ }).click();
    expect(await last.innerText()).toContain('you will be signed out');
    await last.getByRole('button', { name: 'Revoke it' }).click();
    const alert = last.getByRole('alert');
    await alert.waitFor();
    expect(await alert.locator('[data-code]').getAttribute('data-code')).toBe('LAST_ACTIVE_API_KEY');
    expect(await alert.innerText()).toContain('This is your last key in service');
    expect(await focused(alert)).toBe(true);
    await screenshot(page, 'portal-keys-last');
    expect(await api(`{ myPartnerApiKeys { id } }`, {}, successor)).toBeTruthy();
    sparkwash = successor;
  });

  it('signs the partner out, saying why, once the key it is signed in with stops working', async () => {
    const key = await t.partnerKey('sparkwash');
    const id = (await api(`{ myPartnerApiKeys { id current } }`, {}, key)).myPartnerApiKeys.find((k: any) => k.current).id;
    const other = await signIn(key);
    await other.getByRole('heading', { name: 'Redemptions', level: 1 }).waitFor();
    // Revoked elsewhere (another tab, a colleague): the next request is refused.
    await api(`mutation($id: ID!) { revokeMyPartnerApiKey(id: $id) { id } }`, { id }, sparkwash);
    await other.getByRole('link', { name: 'Benefits' }).click();
    const alert = other.locator('.portal-signed-out');
    await alert.waitFor();
    expect(await focused(alert)).toBe(true);
    expect(await alert.innerText()).toContain('UNAUTHENTICATED');
    expect(await other.locator('header nav').count()).toBe(0);
    expect(await other.evaluate(() => sessionStorage.getItem('console.credential'))).toBeNull();
    await other.getByRole('button', { name: 'Sign in again' }).click();
    await other.getByLabel('Credential').waitFor();
  });

  it('shows a partner its benefits and prices, warns of a low voucher pool and uploads codes', async () => {
    const brewbar = await signIn(await t.partnerKey('brewbar'));
    await brewbar.getByRole('link', { name: 'Benefits' }).click();
    const pool = brewbar.locator('section.portal-pool[data-benefit="COFFEE"]');
    await pool.locator('.portal-pool-status p').first().filter({ hasText: 'available' }).waitFor();
    const before = (await api(`{ voucherPool(benefitCode: "COFFEE") { available low lowWatermark } }`, {}, await t.partnerKey('brewbar'))).voucherPool;
    expect(await pool.locator('.portal-pool-status').innerText()).toContain(`${before.available} available`);
    expect(await pool.locator('.portal-warning').count()).toBe(before.low ? 1 : 0);
    const benefits = (await api(`{ partnerBenefits { code unitPrice { amount } } }`, {}, await t.partnerKey('brewbar'))).partnerBenefits;
    expect(await brewbar.locator('table tbody tr').count()).toBe(benefits.length);

    const code = `PORTAL-${randomUUID().slice(0, 8)}`;
    await pool.getByLabel(/^New codes/).fill(`${code}-1\n${code}-2\n${code}-1\n`);
    await pool.getByRole('button', { name: 'Upload codes' }).click();
    const report = pool.locator('[role=status].notice');
    await report.waitFor();
    // Focus moves to the report once it is drawn (CI once read it a moment before).
    await expect.poll(() => focused(report)).toBe(true);
    expect(await report.innerText()).toContain(`Received 3: 2 accepted, 1 duplicate(s). ${before.available + 2} available now.`);
    await screenshot(brewbar, 'portal-benefits');
  });

  it('offers a staff user none of the portal pages', async () => {
    const pm = await signIn(await t.staffToken('pm-portal', 'PRODUCT_MANAGER'));
    const links = await navLinks(pm);
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter((l) => PORTAL_PAGES.includes(l))).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
