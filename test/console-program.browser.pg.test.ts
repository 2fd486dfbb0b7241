import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';

// The console's program pages in a real Chromium (Debian's), against a real gateway and
// PostgreSQL: a product manager edits the whole program (partners and their point prices, rewards
// and tiers through drafts, drafts saved elsewhere, earn rules, campaigns), an admin reads it all
// back in the audit trail, and a support agent is neither offered publishing nor let through.

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
const pageErrors: Error[] = [];

beforeAll(async () => {
  // The console as `npm run build` builds it, from the sources under test, into a folder of this run.
  consoleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'console-build-'));
  const build = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'vite'), ['build', '--config', 'console/vite.config.ts', '--outDir', consoleDir], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`vite build failed: ${build.stderr}${build.stdout}`);
  t = await startTestApp({ env: { CONSOLE_DIR: consoleDir } });
  admin = await t.adminToken('program-admin');
  if (NO_CHROMIUM) return;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
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

const pm = () => t.staffToken('pm-pat', 'PRODUCT_MANAGER');

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
const change = (page: Page, index: number): Locator => page.locator(`fieldset[data-field="changes[${index}]"]`);

async function addChange(page: Page, kind: string): Promise<Locator> {
  const count = await page.locator('fieldset.change').count();
  await page.getByLabel('Kind of change').selectOption({ label: kind });
  await page.getByRole('button', { name: 'Add change' }).click();
  const added = change(page, count);
  await added.waitFor();
  return added;
}

async function api<T = any>(query: string, variables: Record<string, unknown>, bearer = admin): Promise<T> {
  const res = await t.graphql(query, variables, { bearer });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data as T;
}

const CREATE_DRAFT = `mutation($input: CatalogDraftInput!) { createCatalogDraft(input: $input) { id problems { field message } } }`;
const DRAFT = `query($id: ID!) { catalogDraft(draftId: $id) { id title status changes { kind json } problems { field } } }`;

describe('the console edits the whole program', () => {
  it('lets a product manager add a partner and change its prices, refusing bad input at each field', async () => {
    const page = await signIn(await pm());
    await page.getByRole('link', { name: 'Partners' }).click();
    await page.getByRole('link', { name: 'New partner' }).click();
    const form = page.locator('form.partner');
    // Everything wrong at once: each problem at its field, the refusal's code above the form.
    await form.getByLabel(/^Id/).fill('Tea House');
    await form.getByLabel('Name (English)').fill('Tea House');
    await form.getByLabel('Name (Chinese)').fill('茶舍');
    await form.getByLabel(/It pays per 1,000 points issued/).fill('600');
    await form.getByLabel('Currency').nth(1).fill('USD');
    await form.getByLabel(/We pay it per 1,000 points burned/).fill('500');
    await page.getByRole('button', { name: 'Save partner' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.locator('[data-code]').getAttribute('data-code')).toBe('BAD_USER_INPUT');
    expect(await focused(alert)).toBe(true);
    expect(await form.locator('[data-field="id"] .problem').innerText()).toBe('must be 2-40 lower-case letters, digits or -, starting with a letter');
    expect(await form.locator('[data-field="id"] input').getAttribute('aria-invalid')).toBe('true');
    expect(await form.locator('[data-field="pointsBurnPricePer1000.currency"] .problem').innerText()).toBe('must be the issue price currency');
    await screenshot(page, 'partner-problems');

    await form.getByLabel(/^Id/).fill('tea-house');
    await form.getByLabel('Currency').nth(1).fill('CNY');
    await page.getByRole('button', { name: 'Save partner' }).click();
    const saved = page.getByRole('status');
    await saved.waitFor();
    expect(await saved.innerText()).toBe('Partner tea-house created: issues at CN¥6.00, burns at CN¥5.00 per 1,000 points.');
    expect(await focused(saved)).toBe(true);
    expect(page.url()).toMatch(/#\/partners\/tea-house$/);

    // Saving again changes it: the burn price goes down.
    await form.getByLabel(/We pay it per 1,000 points burned/).fill('450');
    await page.getByRole('button', { name: 'Save partner' }).click();
    await page.getByText('Partner tea-house saved: issues at CN¥6.00, burns at CN¥4.50 per 1,000 points.').waitFor();

    await page.getByRole('link', { name: 'All partners' }).click();
    await page.getByRole('row').filter({ hasText: 'tea-house' }).waitFor();
    expect(await page.getByRole('row').filter({ hasText: 'tea-house' }).innerText()).toContain('Tea House');
    await screenshot(page, 'partners');

    // Opened again, the form holds the partner's terms as the server has them now (`partners`), for a product manager too.
    await page.getByRole('link', { name: 'Edit tea-house' }).click();
    await page.getByText(/Its terms as they stand, last changed/).waitFor();
    expect(await form.getByLabel('Name (Chinese)').inputValue()).toBe('茶舍');
    expect(await form.getByLabel(/It pays per 1,000 points issued/).inputValue()).toBe('600');
    expect(await form.getByLabel(/We pay it per 1,000 points burned/).inputValue()).toBe('450');
    expect(await form.getByLabel('Currency').nth(1).inputValue()).toBe('CNY');
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('lets a product manager add a reward and lower a tier threshold in a draft, read the diff and publish: a member sees the new reward', async () => {
    const page = await signIn(await pm());
    await page.getByRole('link', { name: 'Catalog drafts' }).click();
    await page.getByRole('link', { name: 'New draft' }).click();
    await page.getByLabel('Title').fill('Tea for points, an easier Gold');
    const reward = await addChange(page, 'Set reward');
    expect(await focused(reward.getByLabel('Reward code'))).toBe(true);
    await page.keyboard.type('TEA_REWARD');
    await reward.getByLabel('Name (English)').fill('A pot of tea');
    await reward.getByLabel('Name (Chinese)').fill('一壶茶');
    await reward.getByLabel('Points it costs').fill('250');
    await reward.getByLabel('Partner that delivers it (optional)').fill('brewbar');
    await reward.getByLabel('Benefit its right is of (optional)').fill('COFFEE');
    const tier = await addChange(page, 'Set tier');
    await tier.getByLabel('Tier code').fill('GOLD');
    await tier.getByLabel('Tier code').press('Tab');
    // Chosen, a tier in force brings its current terms (loyaltyProgram), to be changed from there.
    expect(await tier.getByLabel(/Qualifying spend threshold/).inputValue()).toBe('600000');
    expect(await tier.getByLabel(/Points multiplier/).inputValue()).toBe('1500');
    await tier.getByLabel(/Qualifying spend threshold/).fill('500000');
    await tier.getByLabel(/Points multiplier/).fill('1500');
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.getByText('No problems: this draft can be published.').waitFor();

    const program = page.locator('section.diff .diff-program');
    expect(await program.locator('[data-subject="reward TEA_REWARD"]').filter({ hasText: 'pointsCost' }).innerText()).toContain('pointsCost: — → 250');
    expect(await program.locator('[data-subject="tier GOLD"]').innerText()).toContain('minSpend: 600000 → 500000');
    await screenshot(page, 'draft-program');

    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByText(/Published \(PUBLISHED\)/).waitFor();

    const member = await t.subscribedMember();
    const { me } = await api<{ me: { rewards: Array<{ code: string; name: string; pointsCost: number }> } }>(`{ me { rewards { code name pointsCost } } }`, {}, member.bearer);
    expect(me.rewards).toContainEqual({ code: 'TEA_REWARD', name: 'A pot of tea', pointsCost: 250 });
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('opens a draft saved through the API as a form in the console, edits it there and saves it again, keeping every change', async () => {
    const { createCatalogDraft: created } = await api(CREATE_DRAFT, {
      input: {
        title: 'From the API',
        changes: [{ setTierBenefit: { tierCode: 'GOLD', benefitCode: 'COFFEE', quota: 2 } }, { updatePlan: { planCode: 'PLUS', trialDays: 10 } }],
      },
    });
    const page = await signIn(await pm());
    await go(page, `#/drafts/${created.id}`);
    await change(page, 0).waitFor();
    expect(await page.getByLabel('Title').inputValue()).toBe('From the API');
    expect(await change(page, 0).locator('legend').innerText()).toBe('Change 1: Set tier benefit');
    expect(await change(page, 0).getByLabel('Tier code').inputValue()).toBe('GOLD');
    expect(await change(page, 0).getByLabel('Benefit code').inputValue()).toBe('COFFEE');
    expect(await change(page, 0).getByLabel('Uses a month (empty for ACCESS)').inputValue()).toBe('2');
    expect(await change(page, 1).getByLabel('Plan code').inputValue()).toBe('PLUS');
    expect(await change(page, 1).getByLabel('Trial days').inputValue()).toBe('10');
    expect(await page.getByText('Its changes are shown as saved').count()).toBe(0);

    await change(page, 0).getByLabel('Uses a month (empty for ACCESS)').fill('3');
    await page.getByLabel('Title').fill('From the API, edited in the console');
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.getByText('No problems: this draft can be published.').waitFor();
    await screenshot(page, 'draft-from-api');

    const { catalogDraft } = await api(DRAFT, { id: created.id });
    expect(catalogDraft.title).toBe('From the API, edited in the console');
    expect(catalogDraft.changes.map((c: { json: string }) => JSON.parse(c.json))).toEqual([
      { kind: 'SET_TIER_BENEFIT', tierCode: 'GOLD', benefitCode: 'COFFEE', quota: 3, remove: false },
      { kind: 'UPDATE_PLAN', planCode: 'PLUS', set: { trialDays: 10 } },
    ]);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('shows the coded refusal of earn rules that are no JSON, and the problems of rules the server rejects, at the earn rules field', async () => {
    const page = await signIn(await pm());
    await go(page, '#/drafts/new');
    await page.getByLabel('Title').fill('New earn rules');
    const rules = await addChange(page, 'Set earn rules');
    const textarea = rules.getByLabel(/^Earn rules/);
    // New earn rules start as the rules in force.
    const { loyaltyProgram } = await api<{ loyaltyProgram: { rulesJson: string } }>(`{ loyaltyProgram { rulesJson } }`, {});
    expect(JSON.parse(await textarea.inputValue())).toEqual(JSON.parse(loyaltyProgram.rulesJson));
    expect(JSON.parse(await textarea.inputValue())).toMatchObject({ currency: 'CNY', tiers: { windowMonths: 12 } });
    await textarea.fill('{ not json');
    await page.getByRole('button', { name: 'Save draft' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.locator('[data-code]').getAttribute('data-code')).toBe('BAD_USER_INPUT');
    expect(await alert.innerText()).toContain('changes[0].rulesJson');
    const place = rules.locator('[data-field="changes[0].rules"]');
    expect(await place.locator('.problem').innerText()).toBe('must be JSON');
    expect(await textarea.getAttribute('aria-invalid')).toBe('true');

    // JSON, but not rules: saved with each problem, at the textarea and in the list above the form.
    await textarea.fill(JSON.stringify({ currency: 'CNY', earn: { purchase: { points: -1, per: 100 } } }, null, 2));
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.getByText(/Saved\. \d+ problem\(s\)\./).waitFor();
    expect(await page.locator('.problems').innerText()).toContain('changes[0].rules.earn.purchase.points');
    expect(await place.locator('.problem').innerText()).toContain('Too small');
    expect(await textarea.getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, 'earn-rules-problems');
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('starts new segment definitions from those in force, shows their problems at the field, and publishes them as the next version', async () => {
    const page = await signIn(await pm());
    await go(page, '#/drafts/new');
    await page.getByLabel('Title').fill('Longer welcome');
    const segments = await addChange(page, 'Set segment definitions');
    const textarea = segments.getByLabel(/^Segment definitions/);
    const { segmentDefinitions } = await api<{ segmentDefinitions: { version: number; configJson: string } }>(`{ segmentDefinitions { version configJson } }`, {});
    const inForce = JSON.parse(segmentDefinitions.configJson);
    expect(JSON.parse(await textarea.inputValue())).toEqual(inForce);

    const bad = { ...inForce, lifecycle: { ...inForce.lifecycle, churnedAfterDays: inForce.lifecycle.dormantAfterDays } };
    await textarea.fill(JSON.stringify(bad, null, 2));
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.getByText(/Saved\. 1 problem\(s\)\./).waitFor();
    expect(await page.locator('.problems').innerText()).toContain('changes[0].config.lifecycle.churnedAfterDays');
    expect(await segments.locator('[data-field="changes[0].config"] .problem').innerText()).toContain('must be more than dormantAfterDays');
    expect(await textarea.getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, 'segment-definitions-problems');

    const longer = { ...inForce, lifecycle: { ...inForce.lifecycle, newDays: inForce.lifecycle.newDays + 30 } };
    await textarea.fill(JSON.stringify(longer, null, 2));
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.getByText('No problems: this draft can be published.').waitFor();
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByText(/Published \(PUBLISHED\)/).waitFor();
    await expect.poll(async () => (await api<{ segmentDefinitions: { version: number; configJson: string } }>(`{ segmentDefinitions { version configJson } }`, {})).segmentDefinitions.version, { timeout: 15_000 }).toBe(segmentDefinitions.version + 1);
    const now = await api<{ segmentDefinitions: { configJson: string } }>(`{ segmentDefinitions { configJson } }`, {});
    expect(JSON.parse(now.segmentDefinitions.configJson).lifecycle.newDays).toBe(longer.lifecycle.newDays);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('lets a product manager create a campaign, with its problems at their fields, and stop it; the segments to target are listed', async () => {
    const page = await signIn(await pm());
    await page.getByRole('link', { name: 'Campaigns' }).click();
    await page.getByRole('link', { name: 'New campaign' }).click();
    const form = page.locator('form.campaign');
    await form.getByLabel(/^Code/).fill('TEA_TUESDAYS');
    await form.locator('[data-field="name"]').getByLabel('English').fill('Tea Tuesdays');
    await form.locator('[data-field="name"]').getByLabel('Chinese').fill('茶饮周二');
    await form.locator('[data-field="offer"]').getByLabel('English').fill('50 bonus points on a purchase of ¥10 or more');
    await form.locator('[data-field="offer"]').getByLabel('Chinese').fill('消费满 10 元奖励 50 积分');
    await form.getByLabel('Kind').selectOption({ label: 'Bonus points' });
    // Only the fields of the kind are offered.
    expect(await form.getByLabel('Benefit code').isVisible()).toBe(false);
    expect(await form.getByLabel(/^Multiplier in thousandths/).isVisible()).toBe(false);
    await form.getByLabel('Starts at').fill('2026-03-01T00:00');
    await form.getByLabel('Ends at').fill('2026-02-01T00:00');
    await form.getByLabel('Bonus points per purchase').fill('50');
    await form.getByLabel(/^Least purchase/).fill('1000');
    await form.getByLabel(/^Segments/).fill('CHAMPIONS, LOYAL');
    const segments = page.locator('section.segments');
    await segments.getByRole('row').filter({ hasText: 'CHAMPIONS' }).waitFor();
    await page.getByRole('button', { name: 'Create campaign' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.locator('[data-code]').getAttribute('data-code')).toBe('BAD_USER_INPUT');
    expect(await form.locator('[data-field="endsAt"] .problem').innerText()).toBe('must be after startsAt');
    await screenshot(page, 'campaign-new');

    await form.getByLabel('Ends at').fill('2026-12-31T00:00');
    await page.getByRole('button', { name: 'Create campaign' }).click();
    const created = page.getByRole('status');
    await created.waitFor();
    expect(await created.innerText()).toBe('Campaign TEA_TUESDAYS created.');
    const row = page.getByRole('row').filter({ has: page.locator('[data-campaign="TEA_TUESDAYS"]') });
    expect(await row.innerText()).toMatch(/Tea Tuesdays[\s\S]*Bonus points \+50[\s\S]*segments CHAMPIONS, LOYAL[\s\S]*0 points, 0 rights, 0 members reached[\s\S]*Running/);

    await row.getByRole('button', { name: 'Stop TEA_TUESDAYS' }).click();
    await page.getByText('TEA_TUESDAYS stopped: what it granted stays.').waitFor();
    expect(await page.getByRole('row').filter({ has: page.locator('[data-campaign="TEA_TUESDAYS"]') }).innerText()).toContain('Stopped');
    // The keyboard stays on that campaign: its button now starts it again.
    expect(await focused(page.getByRole('button', { name: 'Start TEA_TUESDAYS' }))).toBe(true);
    await screenshot(page, 'campaigns');

    const { campaigns } = await api<{ campaigns: Array<{ code: string; active: boolean; bonusPoints: number | null }> }>(`{ campaigns { code active bonusPoints } }`, {});
    expect(campaigns).toContainEqual({ code: 'TEA_TUESDAYS', active: false, bonusPoints: 50 });
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it("shows an admin the audit trail of a partner and of a draft: who, when, what, and before and after as a diff; a draft links to its own entries", async () => {
    const pmToken = await pm();
    const prices = (issue: number, burn: number) => ({ pointsIssuePricePer1000: { amount: issue, currency: 'CNY' }, pointsBurnPricePer1000: { amount: burn, currency: 'CNY' } });
    await api(`mutation($input: PartnerInput!) { createPartner(input: $input) { id } }`, { input: { id: 'noodle-bar', name: { en: 'Noodle Bar', zhCN: '面馆' }, ...prices(600, 500) } }, pmToken);
    await api(`mutation($input: PartnerInput!) { updatePartner(partnerId: "noodle-bar", input: $input) { id } }`, { input: { name: { en: 'Noodle Bar', zhCN: '面馆' }, ...prices(600, 420) } }, pmToken);
    const { createCatalogDraft: draft } = await api(CREATE_DRAFT, { input: { title: 'Audited draft', changes: [{ updatePlan: { planCode: 'PLUS_MONTHLY', graceDays: 5 } }] } }, pmToken);
    await api(`mutation($id: ID!) { publishCatalogDraft(draftId: $id) { status } }`, { id: draft.id }, pmToken);

    const page = await signIn(admin);
    await page.getByRole('link', { name: 'Audit trail' }).click();
    await page.getByLabel(/^Subject/).fill('noodle-bar');
    await page.getByLabel(/^Action/).fill('partner.');
    await page.getByRole('button', { name: 'Show' }).click();
    const entries = page.locator('li.audit-entry');
    await expect.poll(() => entries.count()).toBe(2);
    expect(page.url()).toContain('#/audit/');
    // Newest first: the update, then the creation.
    expect(await entries.nth(0).getAttribute('data-action')).toBe('partner.update');
    expect(await entries.nth(1).getAttribute('data-action')).toBe('partner.create');
    const update = entries.nth(0);
    expect(await update.locator('.meta').innerText()).toMatch(/by pm:/);
    expect(await update.locator('li.changed[data-path="points_burn_price_per1000"]').innerText()).toBe('~ Changed points_burn_price_per1000: 500 → 420');
    expect(await update.locator('.json-diff > li').count()).toBe(1); // nothing else changed
    expect(await entries.nth(1).locator('li.added[data-path="name.en"]').innerText()).toBe('+ Added name.en: "Noodle Bar"');
    await screenshot(page, 'audit');

    // More than a page of changes to one partner: "Show more" reads the next page after the last entry shown.
    for (let burn = 400; burn > 345; burn--) {
      await api(`mutation($input: PartnerInput!) { updatePartner(partnerId: "noodle-bar", input: $input) { id } }`, { input: { name: { en: 'Noodle Bar', zhCN: '面馆' }, ...prices(600, burn) } }, pmToken);
    }
    await page.getByLabel(/^Action/).fill('partner.');
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    await expect.poll(() => entries.count()).toBe(50);
    expect(await page.getByText('50 change(s) shown, newest first.').count()).toBe(1);
    await page.getByRole('button', { name: 'Show more' }).click();
    await expect.poll(() => entries.count()).toBe(57);
    expect(await focused(entries.nth(50).locator('article'))).toBe(true);
    expect(await entries.nth(56).getAttribute('data-action')).toBe('partner.create');
    expect(await entries.nth(55).locator('li.changed[data-path="points_burn_price_per1000"]').innerText()).toBe('~ Changed points_burn_price_per1000: 500 → 420');
    expect(await page.getByRole('button', { name: 'Show more' }).isVisible()).toBe(false);
    expect(await page.getByText('57 change(s) shown, newest first.').count()).toBe(1);

    // The partner form starts from the partner's terms as they stand.
    await go(page, '#/partners/noodle-bar');
    await page.getByText(/Its terms as they stand, last changed/).waitFor();
    expect(await page.getByLabel('Name (Chinese)').inputValue()).toBe('面馆');
    expect(await page.getByLabel(/We pay it per 1,000 points burned/).inputValue()).toBe('346');

    await go(page, `#/drafts/${draft.id}`);
    await page.getByRole('link', { name: 'Audit trail of this draft' }).click();
    await expect.poll(() => entries.count()).toBe(2);
    expect(await page.getByLabel(/^Subject/).inputValue()).toBe(draft.id);
    expect(await entries.evaluateAll((els) => els.map((el) => el.getAttribute('data-action')))).toEqual(['catalog.publish', 'catalog.draft.create']);
    expect(await entries.nth(1).locator('li.added[data-path="changes[0].planCode"]').innerText()).toBe('+ Added changes[0].planCode: "PLUS_MONTHLY"');
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it("does not offer a support agent drafts or publishing, and shows the server's FORBIDDEN when one forces a draft's URL", async () => {
    const { createCatalogDraft: draft } = await api(CREATE_DRAFT, { input: { title: 'Not for support', changes: [{ updatePlan: { planCode: 'PLUS', graceDays: 6 } }] } });
    const page = await signIn(await t.staffToken('support-sam', 'SUPPORT'));
    const nav = page.getByRole('navigation', { name: 'Pages' });
    await nav.waitFor();
    expect(await nav.getByRole('link').allInnerTexts()).toEqual(['Plans', 'Members']);
    expect(await page.getByRole('button', { name: 'Publish' }).count()).toBe(0);

    await go(page, `#/drafts/${draft.id}`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.locator('[data-code]').getAttribute('data-code')).toBe('FORBIDDEN');
    expect(await page.getByRole('button', { name: 'Publish' }).count()).toBe(0);
    await screenshot(page, 'support-forbidden');
    await page.close();

    // Finance may read drafts but not publish them: the draft shows, as saved, without the control.
    const finance = await signIn(await t.staffToken('finance-fay', 'FINANCE'));
    await go(finance, `#/drafts/${draft.id}`);
    await finance.getByText('Publishing needs a product manager or an admin.').waitFor();
    expect(await finance.getByRole('button', { name: 'Publish' }).count()).toBe(0);
    expect(await finance.getByRole('button', { name: 'Save draft' }).count()).toBe(0);
    await finance.close();

    const { catalogDraft } = await api(DRAFT, { id: draft.id });
    expect(catalogDraft.status).toBe('DRAFT');
    expect(pageErrors).toEqual([]);
  });
});
