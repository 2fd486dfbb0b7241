import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page, type Request } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type SubscribedMember, type TestApp } from './support/app.js';

// The web console at /console in a real Chromium (Debian's): a product manager signs in with a
// pasted credential, drafts a new benefit into PLUS, previews it on a member, reads the diff and
// publishes it; problems and refusals from the server show next to the fields they are about.

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
const requests: Request[] = [];
const pageErrors: Error[] = [];

beforeAll(async () => {
  // The console as `npm run build` builds it, from the sources under test, into a folder of this run.
  consoleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'console-build-'));
  const build = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'vite'), ['build', '--config', 'console/vite.config.ts', '--outDir', consoleDir], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`vite build failed: ${build.stderr}${build.stdout}`);
  t = await startTestApp({ env: { CONSOLE_DIR: consoleDir } });
  if (NO_CHROMIUM) return;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.on('request', (request) => requests.push(request));
  context.on('page', (page) => page.on('pageerror', (error) => pageErrors.push(error)));
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
  if (consoleDir) fs.rmSync(consoleDir, { recursive: true, force: true });
});

const consoleUrl = () => `${t.app.url}/console`;
const foreign = () => requests.map((r) => r.url()).filter((url) => !url.startsWith('data:') && new URL(url).origin !== new URL(t.app.url).origin);

async function screenshot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOTS) return;
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `console-${name}.png`), fullPage: true });
}

/** Opens the console and signs in with the keyboard: the credential pasted, Tab to the button, Enter. */
async function signIn(credential: string, name?: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(consoleUrl());
  const field = page.getByLabel('Credential');
  await field.waitFor();
  await expect.poll(() => field.evaluate((el) => el === document.activeElement), { timeout: 10_000 }).toBe(true); // focused on arrival
  if (name) await screenshot(page, name);
  await page.keyboard.insertText(credential);
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Sign in');
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  return page;
}

/** The change fieldset `index` (0-based) of the draft editor. */
const change = (page: Page, index: number): Locator => page.locator(`fieldset[data-field="changes[${index}]"]`);

async function addChange(page: Page, kind: string): Promise<Locator> {
  const count = await page.locator('fieldset.change').count();
  await page.getByLabel('Kind of change').selectOption({ label: kind });
  await page.getByRole('button', { name: 'Add change' }).click();
  const added = change(page, count);
  await added.waitFor();
  return added;
}

async function rights(member: SubscribedMember): Promise<string[]> {
  const res = await t.graphql(`{ me { entitlements { status source benefit { code } } } }`, {}, { bearer: member.bearer });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return (res.data.me.entitlements as Array<{ status: string; source: string; benefit: { code: string } }>)
    .filter((e) => e.source === 'MEMBERSHIP' && e.status !== 'REVOKED')
    .map((e) => e.benefit.code)
    .sort();
}

describe('the console at /console', () => {
  it('serves its page uncached under a strict Content-Security-Policy, and its assets content-hashed, cached for a year, with an ETag and gzip', async () => {
    const page = await fetch(consoleUrl());
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const html = await page.text();
    const script = new URL(/<script type="module" crossorigin src="([^"]+)"/.exec(html)![1]!, t.app.url).href;
    expect(script).toMatch(/\/console\/assets\/index-[\w-]{8}\.js$/);
    expect(html).not.toMatch(/<script>|https?:\/\//); // no inline script, nothing from another host

    const first = await fetch(script, { headers: { 'accept-encoding': 'gzip' } });
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(first.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(first.headers.get('content-encoding')).toBe('gzip');
    const etag = first.headers.get('etag')!;
    expect((await fetch(script, { headers: { 'if-none-match': etag } })).status).toBe(304);
    // A stale hash (a new build under an open tab) is not served as the new file.
    expect((await fetch(script.replace(/-[\w-]{8}\.js$/, '-AAAAAAAA.js'))).status).toBe(404);
    expect((await fetch(consoleUrl(), { method: 'POST' })).status).toBe(405);
  });
});

describe('the console in a browser', () => {
  beforeEach(() => {
    if (NO_CHROMIUM) throw new Error(NO_CHROMIUM);
  });

  it('lets a product manager add a new benefit to PLUS through a draft: previewed, diffed, published now for new members while current members are grandfathered', async () => {
    const current = await t.subscribedMember();
    const page = await signIn(await t.adminToken('catalog-pm'), 'sign-in');
    await expect.poll(() => page.locator('.who').innerText()).toContain('catalog-pm');

    await page.getByRole('link', { name: 'New draft' }).click();
    await page.getByLabel('Title').fill('Lounge passes for PLUS');
    const benefit = await addChange(page, 'Create benefit');
    // Adding a change puts the keyboard in its first field.
    expect(await benefit.getByLabel('Benefit code').evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.type('LOUNGE_PASS');
    await benefit.getByLabel('Partner id').fill('sparkwash');
    await benefit.getByLabel('Kind', { exact: true }).selectOption('QUOTA');
    await benefit.getByLabel('Name (English)').fill('Lounge pass');
    await benefit.getByLabel('Name (Chinese)').fill('贵宾室通行');
    await benefit.getByLabel('Unit price paid to the partner (minor units)').fill('2000');
    await benefit.getByLabel('Value to a member (minor units)').fill('6000');
    const line = await addChange(page, 'Set bundle benefit');
    await line.getByLabel('Bundle code').fill('PLUS_BUNDLE');
    await line.getByLabel('Benefit code').fill('LOUNGE_PASS');
    await line.getByLabel('Quota per period').fill('2');
    await line.getByLabel('Period', { exact: true }).selectOption('MEMBERSHIP_TERM');
    await page.getByRole('button', { name: 'Save draft' }).click();

    await page.getByText('No problems: this draft can be published.').waitFor();
    expect(page.url()).toMatch(/#\/drafts\/[\w-]+$/);
    const diff = page.locator('section.diff');
    expect(await diff.innerText()).toContain('New benefits: LOUNGE_PASS');
    expect(await diff.locator('li.added').innerText()).toContain('LOUNGE_PASS · ×2 · MEMBERSHIP_TERM');

    await page.getByLabel('Member id').fill(current.memberId);
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.locator('.preview-draft [data-benefit="LOUNGE_PASS"]').waitFor();
    expect(await page.locator('.preview-today [data-benefit="LOUNGE_PASS"]').count()).toBe(0);
    expect(await page.locator('.preview-today [data-benefit="CAR_WASH"]').count()).toBe(1);
    await screenshot(page, 'draft');

    // Effective now (the date left empty), PLUS_BUNDLE's current members grandfathered (the default).
    expect(await page.getByLabel('Grandfather: keep their version until renewal').isChecked()).toBe(true);
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByText(/Published \(PUBLISHED\)/).waitFor();

    const newcomer = await t.subscribedMember();
    expect(await rights(newcomer)).toContain('LOUNGE_PASS');
    expect(await rights(current)).not.toContain('LOUNGE_PASS');

    await page.getByRole('link', { name: 'All drafts' }).click();
    const row = page.getByRole('row').filter({ hasText: 'Lounge passes for PLUS' });
    expect(await row.innerText()).toContain('PUBLISHED');
    await screenshot(page, 'drafts');

    await page.getByRole('link', { name: 'Plans' }).click();
    const plus = page.locator('section[data-plan="PLUS"]');
    await plus.getByRole('row').filter({ hasText: 'LOUNGE_PASS' }).waitFor();
    expect(await plus.getByRole('row').filter({ hasText: 'LOUNGE_PASS' }).innerText()).toMatch(/Lounge pass.*sparkwash.*QUOTA.*2.*MEMBERSHIP_TERM/s);
    await screenshot(page, 'plans');

    // In Chinese: the console's words and, through Accept-Language, the API's names.
    const [plansInChinese] = await Promise.all([
      page.waitForRequest((r) => r.url().endsWith('/graphql') && r.headers()['accept-language'] === 'zh-CN'),
      page.getByRole('button', { name: 'Switch the console to Chinese' }).click(),
    ]);
    expect(plansInChinese.postData()).toContain('ConsolePlans');
    await plus.getByText('贵宾室通行').waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('会员方案');
    await page.getByRole('button', { name: '将控制台切换为英文' }).click();

    expect(foreign()).toEqual([]);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it("shows each of the server's problems next to its field, and the coded refusal of a publication with problems", async () => {
    const page = await signIn(await t.adminToken('catalog-pm'));
    await page.getByRole('link', { name: 'New draft' }).click();
    await page.getByLabel('Title').fill('Everything wrong');
    const benefit = await addChange(page, 'Create benefit');
    await benefit.getByLabel('Benefit code').fill('FAST_LANE');
    await benefit.getByLabel('Partner id').fill('nobody');
    await benefit.getByLabel('Name (English)').fill('Fast lane');
    await benefit.getByLabel('Name (Chinese)').fill('快速通道');
    const line = await addChange(page, 'Set bundle benefit');
    await line.getByLabel('Bundle code').fill('PLUS_BUNDLE');
    await line.getByLabel('Benefit code').fill('CAR_WASH');
    await line.getByLabel('Quota per period').fill('-1');
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.getByText('Saved. 2 problem(s).').waitFor();

    const partner = benefit.locator('[data-field="changes[0].partnerId"]');
    expect(await partner.locator('.problem').innerText()).toBe('no partner nobody');
    expect(await partner.getByLabel('Partner id').getAttribute('aria-invalid')).toBe('true');
    // The problem is the field's description: a screen reader reads it with the field.
    expect(await partner.getByLabel('Partner id').evaluate((el) => document.getElementById(el.getAttribute('aria-describedby')!)?.textContent)).toBe('no partner nobody');
    const quota = line.locator('[data-field="changes[1].quota"]');
    expect(await quota.locator('.problem').innerText()).toBe('must be a whole number from 1 to 10000');
    expect(await page.locator('.problems').innerText()).toContain('changes[1].quota');
    await screenshot(page, 'problems');

    await page.getByRole('button', { name: 'Publish' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.locator('[data-code]').getAttribute('data-code')).toBe('BAD_USER_INPUT');
    expect(await alert.innerText()).toContain('changes[0].partnerId');
    expect(await quota.locator('.problem').innerText()).toBe('must be a whole number from 1 to 10000');
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('lets a product manager create a bundle and a plan selling it, with selects for its enums: diffed, rebuilt from the saved draft, published, and a member can subscribe to it', async () => {
    const page = await signIn(await t.adminToken('catalog-pm'));
    await page.getByRole('link', { name: 'New draft' }).click();
    await page.getByLabel('Title').fill('A city plan');
    const bundle = await addChange(page, 'Create bundle');
    await bundle.getByLabel(/^New bundle code/).fill('CITY_UI_BUNDLE');
    await bundle.getByLabel('Name (English)').fill('City');
    await bundle.getByLabel('Name (Chinese)').fill('城市');
    const line = await addChange(page, 'Set bundle benefit');
    await line.getByLabel('Bundle code').fill('CITY_UI_BUNDLE');
    await line.getByLabel('Benefit code').fill('COFFEE');
    await line.getByLabel('Quota per period').fill('4');
    await line.getByLabel('Period', { exact: true }).selectOption('CALENDAR_MONTH');
    const plan = await addChange(page, 'Create plan');
    await plan.getByLabel('New plan code').fill('CITY_UI');
    await plan.getByLabel('Name (English)').fill('City');
    await plan.getByLabel('Name (Chinese)').fill('城市');
    await plan.getByLabel('Price (minor units)').fill('990');
    await plan.getByLabel('Billing period').selectOption('MONTH');
    await plan.getByLabel(/^Bundle it sells/).fill('CITY_UI_BUNDLE');
    await plan.getByLabel('Refund policy').selectOption('FULL');
    await plan.getByLabel('Rights during grace').selectOption('SUSPENDED');
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.getByText('No problems: this draft can be published.').waitFor();

    const diff = page.locator('section.diff');
    expect(await diff.innerText()).toContain('New bundles: CITY_UI_BUNDLE');
    const created = diff.locator('[data-plan="CITY_UI"]');
    expect(await created.innerText()).toMatch(/New plan CITY_UI[\s\S]*refundPolicy: FULL[\s\S]*bundleCode: CITY_UI_BUNDLE/);
    // Loaded again, the form is rebuilt from the saved changes.
    await page.reload();
    await change(page, 2).waitFor();
    expect(await change(page, 2).getByLabel('Refund policy').inputValue()).toBe('FULL');
    expect(await change(page, 2).getByLabel('Rights during grace').inputValue()).toBe('SUSPENDED');
    expect(await change(page, 0).getByLabel(/^New bundle code/).inputValue()).toBe('CITY_UI_BUNDLE');
    // A new bundle has no members to grandfather or migrate: not asked.
    expect(await page.locator('fieldset[data-field="migrations.CITY_UI_BUNDLE"]').count()).toBe(0);
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByText(/Published \(PUBLISHED\)/).waitFor();

    const bearer = await t.memberToken('city-ui-member');
    const sub = await t.graphql(`mutation { subscribe(planCode: "CITY_UI", idempotencyKey: "k") { id } }`, {}, { bearer });
    expect(sub.errors, JSON.stringify(sub.errors)).toBeUndefined();
    const me = await t.graphql(`{ me { entitlements { quota benefit { code } } } }`, {}, { bearer });
    expect(me.data.me.entitlements).toEqual([{ quota: 4, benefit: { code: 'COFFEE' } }]);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('shows a plain member FORBIDDEN on the catalog drafts page, and signs out', async () => {
    const page = await signIn(await t.memberToken('just-a-member'));
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.locator('[data-code]').getAttribute('data-code')).toBe('FORBIDDEN');
    expect(await alert.innerText()).toContain('The server refused this');
    await screenshot(page, 'forbidden');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Credential').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('console.credential'))).toBeNull();
    await page.close();
  });

  it('drops a credential the server refuses and says why on the sign-in page', async () => {
    const expired = await t.app.devIssuer!.mint('console-expired', { ttlSeconds: -60 });
    const page = await context.newPage();
    await page.goto(consoleUrl());
    await page.getByLabel('Credential').fill(expired);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const problem = page.locator('[data-field="credential"] .problem');
    await problem.waitFor();
    expect(await problem.innerText()).toMatch(/^The server refused that credential: /);
    expect(await page.getByLabel('Credential').getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate(() => sessionStorage.getItem('console.credential'))).toBeNull();
    expect(await page.getByRole('navigation').count()).toBe(0);
    await page.close();
  });
});
