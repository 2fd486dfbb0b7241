import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StaffRole } from '../src/platform/principal.js';
import { startTestApp, type SubscribedMember, type TestApp } from './support/app.js';

// Issue 11, part 4: the console's member pages for support, in a real Chromium (Debian's)
// against a real gateway and PostgreSQL. A support agent finds a subscribed member by membership
// id and by sign-in subject, sees the rights the member sees, revokes one, refunds the membership
// after seeing the server's figure and exports the member's data; the lookups are audited. An
// analyst is not offered the page (and the server refuses a forced one); nor is a product manager.

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
/** A folder (e.g. docs/img) to save a screenshot of each page in, as console-<page>.png. */
const SCREENSHOTS = process.env.CONSOLE_SCREENSHOTS;
const NO_CHROMIUM = fs.existsSync(CHROMIUM)
  ? undefined
  : `No Chromium at ${CHROMIUM}: this test drives a real browser. Install Debian's as root ` +
    '(apt-get update && apt-get install -y chromium; .ci/run does it in CI) or set CHROMIUM_PATH to a Chromium binary.';
const ROOT = path.resolve(import.meta.dirname, '..');

let t: TestApp;
let browser: Browser;
let context: BrowserContext;
let consoleDir: string;
let admin: string;
let support: string;
let supportId: string;
const pageErrors: Error[] = [];

beforeAll(async () => {
  // The console as `npm run build` builds it, from the sources under test, into a folder of this run.
  consoleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'console-build-'));
  const build = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'vite'), ['build', '--config', 'console/vite.config.ts', '--outDir', consoleDir], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`vite build failed: ${build.stderr}${build.stdout}`);
  t = await startTestApp({ env: { CONSOLE_DIR: consoleDir } });
  admin = await t.adminToken('support-admin');
  support = await t.staffToken('support-sue', StaffRole.SUPPORT);
  supportId = (await api<{ me: { id: string } }>(`{ me { id } }`, {}, support)).me.id;
  if (NO_CHROMIUM) return;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
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

/** Goes to a route of the console in the same tab (the session stays). */
async function go(page: Page, route: string): Promise<void> {
  await page.evaluate((hash) => (location.hash = hash), route);
}

const focused = (locator: Locator) => locator.evaluate((el) => el === document.activeElement);

async function api<T = any>(query: string, variables: Record<string, unknown>, bearer = admin): Promise<T> {
  const res = await t.graphql(query, variables, { bearer });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data as T;
}

const ME = `{ me { id membership { id status } entitlements { id status benefit { code name } } } }`;
type Me = { me: { id: string; membership: { id: string; status: string } | null; entitlements: { id: string; status: string; benefit: { code: string; name: string } }[] } };

async function subscribed(): Promise<SubscribedMember & { subject: string }> {
  const member = await t.subscribedMember();
  const [row] = await t.db.query<{ subject: string }>(`select subject from member where id = $1`, [member.memberId]);
  return { ...member, subject: row!.subject };
}

/** Searches the members page and waits for the answer. */
async function find(page: Page, query: string): Promise<Locator> {
  await page.getByLabel('Member id, membership id, entitlement id or sign-in subject').fill(query);
  await page.getByRole('button', { name: 'Find' }).click();
  const status = page.locator('.results [role=status]');
  await status.waitFor();
  return status;
}

describe("the console's member pages for support", () => {
  it('lets a support agent find a member by membership id and by subject, and shows the rights the member sees', async () => {
    const member = await subscribed();
    const page = await signIn(support);
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Members' }).click();

    const byMembership = await find(page, member.membershipId);
    expect(await byMembership.innerText()).toBe(`1 member(s) found for “${member.membershipId}”.`);
    expect(await focused(byMembership)).toBe(true);
    const row = page.getByRole('row').filter({ has: page.locator(`a[data-member="${member.memberId}"]`) });
    expect(await row.innerText()).toContain('MEMBERSHIP_ID');
    expect(await row.innerText()).toContain('ACTIVE');

    const bySubject = await find(page, member.subject);
    expect(await bySubject.innerText()).toBe(`1 member(s) found for “${member.subject}”.`);
    expect(await row.innerText()).toContain('SUBJECT');
    await screenshot(page, 'members-search');

    await page.getByRole('link', { name: `Open member ${member.memberId}` }).click();
    const sees = page.locator('table.sees-entitlements tbody tr');
    await sees.first().waitFor();
    const { me } = await api<Me>(ME, {}, member.bearer);
    expect(await sees.evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-entitlement'), r.getAttribute('data-status')]))).toEqual(
      me.entitlements.map((e) => [e.id, e.status]),
    );
    for (const e of me.entitlements) expect(await page.locator(`table.sees-entitlements tr[data-entitlement="${e.id}"]`).innerText()).toContain(e.benefit.name);
    expect(await page.locator('p.membership').getAttribute('data-membership')).toBe(member.membershipId);
    // The membership's timeline is there from the start: it was subscribed to.
    await page.locator('[data-event="SUBSCRIBED"]').first().waitFor();
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('revokes a right with a reason, refunds the membership after showing the amount, and exports the member’s data', async () => {
    const member = await subscribed();
    const page = await signIn(support);
    await go(page, `#/members/${member.memberId}`);
    const { me: before } = await api<Me>(ME, {}, member.bearer);
    const victim = before.entitlements[0]!;

    // Revoke: the form says what will happen, refuses an empty reason at its field, then acts.
    await page.locator(`table.sees-entitlements tr[data-entitlement="${victim.id}"]`).getByRole('button', { name: `Revoke ${victim.benefit.name}` }).click();
    const reason = page.getByLabel('Reason (a ticket reference, what happened)');
    expect(await focused(reason)).toBe(true);
    await page.getByRole('button', { name: 'Revoke this right' }).click();
    expect(await page.locator('form.action-revoke [data-field="reason"] .problem').innerText()).toBe('Say why: the reason is audited.');
    expect(await api<Me>(ME, {}, member.bearer).then((r) => r.me.entitlements.find((e) => e.id === victim.id)?.status)).toBe(victim.status);
    await reason.fill('TICKET-42 fraud report');
    await screenshot(page, 'member-revoke');
    await page.getByRole('button', { name: 'Revoke this right' }).click();
    const revoked = page.locator('p.notice');
    await revoked.waitFor();
    expect(await revoked.innerText()).toBe(`Revoked ${victim.benefit.name}: it is now REVOKED.`);
    expect(await focused(revoked)).toBe(true);
    const { me: afterRevoke } = await api<Me>(ME, {}, member.bearer);
    expect(afterRevoke.entitlements.filter((e) => e.id === victim.id && e.status === 'ACTIVE')).toEqual([]);
    expect(await page.locator(`table.all-entitlements tr[data-entitlement="${victim.id}"]`).getAttribute('data-status')).toBe('REVOKED');

    // Refund: first the server's amount, then a confirmation of exactly that amount.
    await page.getByRole('button', { name: `Refund membership ${member.membershipId}` }).click();
    await page.getByRole('button', { name: 'Show the refund amount' }).click();
    const quote = page.locator('#quote');
    await quote.waitFor();
    expect(await focused(quote)).toBe(true);
    expect(await quote.innerText()).toMatch(/^The refund would be CN¥\d+\.\d\d under (FULL|PRO_RATA|PRO_RATA_MINUS_USED)\./);
    // Nothing has changed yet: the figure was only asked for.
    expect((await api<Me>(ME, {}, member.bearer)).me.membership?.status).toBe('ACTIVE');
    await screenshot(page, 'member-refund');
    await page.getByRole('button', { name: /^Confirm refund of CN¥/ }).click();
    const refunded = page.locator('p.notice');
    await refunded.getByText(/refunded/).waitFor();
    expect(await refunded.innerText()).toMatch(new RegExp(`^Membership ${member.membershipId} refunded \\(CN¥[\\d.]+\\): it is now CANCELED, ended `));
    expect(await focused(refunded)).toBe(true);
    expect((await api<Me>(ME, {}, member.bearer)).me.membership).toBeNull();
    expect(await page.getByRole('button', { name: `Refund membership ${member.membershipId}` }).count()).toBe(0);
    await page.locator('[data-event="REFUNDED"]').waitFor();

    // Export: confirmed, then downloaded as a JSON file about this member.
    await page.getByRole('button', { name: 'Export data…' }).click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download the export' }).click()]);
    const file = JSON.parse(fs.readFileSync((await download.path())!, 'utf8'));
    expect(JSON.stringify(file)).toContain(member.memberId);
    expect(download.suggestedFilename()).toMatch(/\.json$/);
    const exported = page.locator('p.notice');
    await exported.getByText(/^Downloaded /).waitFor();
    expect(await focused(exported)).toBe(true);
    await screenshot(page, 'member-profile');
    // The same page in Chinese (the choice is kept for the browser: switched back after).
    await page.getByRole('button', { name: 'Switch the console to Chinese' }).click();
    await page.getByRole('heading', { name: '会员看到的内容' }).waitFor();
    await screenshot(page, 'member-profile-zh');
    await page.getByRole('button', { name: '将控制台切换为英文' }).click();
    await page.getByRole('heading', { name: 'What the member sees' }).waitFor();
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it("records each lookup in the audit trail, under the support agent's name", async () => {
    const member = await subscribed();
    const page = await signIn(support);
    await go(page, '#/members');
    await find(page, member.membershipId);
    const { auditTrail } = await api<{ auditTrail: { actor: string; action: string; subject: string }[] }>(
      `query($actor: String) { auditTrail(action: "member.lookup", actor: $actor, first: 50) { actor action subject } }`,
      { actor: `support:${supportId}` },
    );
    // An id is recorded as given (here the membership's), never who it found.
    expect(auditTrail).toContainEqual({ actor: `support:${supportId}`, action: 'member.lookup', subject: member.membershipId });
    await page.close();
  });

  it("does not offer an analyst the members page, and shows the server's FORBIDDEN when one forces it", async () => {
    const member = await subscribed();
    const page = await signIn(await t.staffToken('analyst-ann', StaffRole.ANALYST));
    const nav = page.getByRole('navigation', { name: 'Pages' });
    await nav.waitFor();
    expect(await nav.getByRole('link', { name: 'Members' }).count()).toBe(0);

    await go(page, '#/members');
    const status = page.locator('.results [role=alert]');
    await page.getByLabel('Member id, membership id, entitlement id or sign-in subject').fill(member.membershipId);
    await page.getByRole('button', { name: 'Find' }).click();
    await status.waitFor();
    expect(await status.locator('[data-code]').getAttribute('data-code')).toBe('FORBIDDEN');

    await go(page, `#/members/${member.memberId}`);
    const alert = page.locator('main [role=alert]');
    await alert.waitFor();
    expect(await alert.locator('[data-code]').getAttribute('data-code')).toBe('FORBIDDEN');
    await screenshot(page, 'members-forbidden');
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('does not offer a product manager refunds (nor the members page)', async () => {
    const member = await subscribed();
    const page = await signIn(await t.staffToken('pm-pia', StaffRole.PRODUCT_MANAGER));
    const nav = page.getByRole('navigation', { name: 'Pages' });
    await nav.waitFor();
    expect(await nav.getByRole('link', { name: 'Members' }).count()).toBe(0);
    await go(page, `#/members/${member.memberId}`);
    await page.locator('main [role=alert] [data-code="FORBIDDEN"]').waitFor();
    expect(await page.getByRole('button', { name: /^Refund/ }).count()).toBe(0);
    expect((await api<Me>(ME, {}, member.bearer)).me.membership?.status).toBe('ACTIVE');
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
