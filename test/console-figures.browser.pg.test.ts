import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { seedProgramHistory } from '../bench/program-history.js';
import {
  ConsoleBenefitUtilizationFiguresDocument,
  ConsoleMemberGrowthFiguresDocument,
  ConsoleMemberValueFiguresDocument,
  ConsoleOrderValueFiguresDocument,
  ConsolePaidConversionFiguresDocument,
  ConsolePartnerDependencyFiguresDocument,
  ConsolePartnerExitFiguresDocument,
  ConsolePointsOutstandingFiguresDocument,
  ConsoleProgramFiguresRunDocument,
  ConsoleRefreshProgramFiguresDocument,
  ConsoleRenewalFiguresDocument,
  ConsoleTierFiguresDocument,
} from './generated/operations.js';
import { startTestApp, type TestApp } from './support/app.js';

// The program dashboards of the web console (console/src/pages/figures.page.ts and
// partner-exit.page.ts) in a real Chromium against a real gateway on PostgreSQL: a generated
// history plus members who went through the API, the figures rebuilt, then an analyst reads every
// chart and its table (the table's numbers are the GraphQL figures', one checked against the raw
// tables), a product manager rebuilds the figures, asks what a partner's leaving would touch and
// simulates a bundle's cost, and a plain member is refused.

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
/** A folder (e.g. docs/img) to save a screenshot of each page in, as console-<page>.png. */
const SCREENSHOTS = process.env.CONSOLE_SCREENSHOTS;
const NO_CHROMIUM = fs.existsSync(CHROMIUM)
  ? undefined
  : `No Chromium at ${CHROMIUM}: this test drives a real browser. Install Debian's as root ` +
    '(apt-get update && apt-get install -y chromium; .ci/run does it in CI) or set CHROMIUM_PATH to a Chromium binary.';
const ROOT = path.resolve(import.meta.dirname, '..');

/** Every chart the dashboards page draws. */
const CHARTS = ['memberGrowth', 'paidConversion', 'renewals', 'orderValue', 'benefitUtilization', 'memberValue', 'valueBands', 'pointsLiability', 'tierDistribution', 'tierMoves', 'partnerDependency'];

let t: TestApp;
let browser: Browser;
let context: BrowserContext;
let consoleDir: string;
let pm: string;
let analyst: string;
let asOf: string;
const pageErrors: Error[] = [];
/** Console errors, CSP violations among them ("Refused to …"). */
const consoleErrors: string[] = [];

beforeAll(async () => {
  consoleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'console-build-'));
  const build = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'vite'), ['build', '--config', 'console/vite.config.ts', '--outDir', consoleDir], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`vite build failed: ${build.stderr}${build.stdout}`);
  t = await startTestApp({ env: { CONSOLE_DIR: consoleDir } });
  pm = await t.staffToken('figures-pm', 'PRODUCT_MANAGER');
  analyst = await t.staffToken('figures-analyst', 'ANALYST');

  // A history worth charting, and members through the real API: a car wash redeemed, a purchase.
  await seedProgramHistory(t.db.url, { members: 300, seed: 11, batch: 300 });
  const member = await t.subscribedMember();
  const issued = await t.graphql(`mutation($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }`, { id: member.entitlementIds.CAR_WASH }, { bearer: member.bearer });
  expect(issued.errors).toBeUndefined();
  const redeemed = await t.graphql(
    `mutation($token: String!) { redeemEntitlement(token: $token, idempotencyKey: "console-figures-wash") { id } }`,
    { token: issued.data.issueEntitlementToken.token },
    { bearer: await t.partnerKey('sparkwash') },
  );
  expect(redeemed.errors).toBeUndefined();
  const purchase = await t.graphql(
    `mutation($input: ActivityInput!) { recordActivity(input: $input) { id } }`,
    { input: { memberId: member.memberId, type: 'PURCHASE', channel: 'app', externalId: 'console-figures-order', amount: { amount: 128_000, currency: 'CNY' } } },
    { bearer: await t.adminToken('figures-admin') },
  );
  expect(purchase.errors, JSON.stringify(purchase.errors)).toBeUndefined();
  const run = await t.graphql(ConsoleRefreshProgramFiguresDocument, {}, { bearer: pm });
  expect(run.errors, JSON.stringify(run.errors)).toBeUndefined();
  asOf = run.data.refreshProgramFigures.asOf;

  if (NO_CHROMIUM) return;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // CSP violations are also console errors in Chromium; this catches any the console does not show.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`));
  });
  context.on('page', (page) => {
    page.on('pageerror', (error) => pageErrors.push(error));
    page.on('console', (message: ConsoleMessage) => {
      // A coded refusal from /graphql (NOT_FOUND is a 404), which the page shows, is no console error of the page.
      const refusal = /^Failed to load resource: the server responded with a status of 4\d\d/.test(message.text()) && message.location().url.endsWith('/graphql');
      if (message.type() === 'error' && !refusal) consoleErrors.push(`${message.text()} (${message.location().url})`);
    });
  });
}, 240_000);
afterAll(async () => {
  await browser?.close();
  await t?.close();
  if (consoleDir) fs.rmSync(consoleDir, { recursive: true, force: true });
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

// The page's formats in English, written out again here.
const count = (v: number) => new Intl.NumberFormat('en').format(v);
const percent = (v: number | null) => (v === null ? '—' : new Intl.NumberFormat('en', { style: 'percent', maximumFractionDigits: 1 }).format(v));
const money = (v: { amount: number; currency: string } | null) => (v === null ? '—' : new Intl.NumberFormat('en', { style: 'currency', currency: v.currency }).format(v.amount / 100));
const month = (at: string, timeZone: string) => new Intl.DateTimeFormat('en', { year: 'numeric', month: 'short', timeZone }).format(new Date(at));
const day = (at: string, timeZone: string) => new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeZone }).format(new Date(at));

/** A section's period as the queries take it: its form's days, `to` included (noon UTC, see figures-format.ts). */
async function periodOf(section: Locator): Promise<{ from: string; to: string }> {
  const from = await section.getByLabel('From').inputValue();
  const to = new Date(`${await section.getByLabel('To (included)').inputValue()}T12:00:00Z`);
  to.setUTCDate(to.getUTCDate() + 1);
  return { from: `${from}T12:00:00.000Z`, to: to.toISOString() };
}

/** The cells of a section's n-th data table, as read (the <details> opened first, with the keyboard). */
async function tableRows(section: Locator, n = 0): Promise<string[][]> {
  const details = section.locator('details.figure-data').nth(n);
  if (!(await details.evaluate((el) => (el as HTMLDetailsElement).open))) {
    await details.locator('summary').focus();
    await details.page().keyboard.press('Enter');
  }
  return details.locator('tbody tr').evaluateAll((rows) => rows.map((row) => [...row.querySelectorAll('td')].map((cell) => (cell as HTMLElement).innerText.trim())));
}

async function figures<T, V>(document: TypedDocumentNode<T, V>, variables: V, bearer: string): Promise<T> {
  const res = await t.graphql(document, variables, { bearer });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data;
}

describe('the program dashboards in the console', () => {
  beforeEach(() => {
    if (NO_CHROMIUM) throw new Error(NO_CHROMIUM);
  });

  it('draws every program figure as a chart for an analyst, each table holding the GraphQL figures, with no rebuild and no priced page offered', async () => {
    const page = await signIn(analyst);
    await page.getByRole('link', { name: 'Figures' }).click();
    for (const name of CHARTS) await page.locator(`figure.chart[data-chart="${name}"][data-drawn="true"]`).waitFor({ timeout: 20_000 });
    // Each chart marked when it drew (what bench/console-paint.ts measures), on a canvas with something on it.
    const marks = await page.evaluate(() => performance.getEntriesByType('mark').map((e) => e.name));
    for (const name of CHARTS) expect(marks).toContain(`figure:${name}:drawn`);
    const inked = await page.locator('figure.chart canvas').evaluateAll((canvases) =>
      canvases.map((c) => {
        const canvas = c as HTMLCanvasElement;
        const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let ink = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) ink++;
        return canvas.width > 300 && canvas.height > 100 && ink > 500;
      }),
    );
    expect(inked).toEqual(CHARTS.map(() => true));
    await screenshot(page, 'figures');
    // Each picture is described for a screen reader, its numbers one keypress away.
    expect(await page.locator('figure.chart [role="img"][aria-label]').count()).toBe(CHARTS.length);

    const run = (await figures(ConsoleProgramFiguresRunDocument, {}, analyst)).programFiguresRun;
    expect(run.asOf).toBe(asOf);
    const tz = run.timeZone;
    expect(await page.locator('.figures-run').innerText()).toContain(`Figures as of`);
    // An analyst may read the figures, not rebuild them, nor see prices agreed with partners.
    expect(await page.getByRole('button', { name: 'Rebuild the figures now' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Partner economics' }).count()).toBe(0);

    const section = (name: string) => page.locator(`section[data-figure="${name}"]`);

    const growthRange = await periodOf(section('memberGrowth'));
    const growth = (await figures(ConsoleMemberGrowthFiguresDocument, { ...growthRange, bucket: 'MONTH' }, analyst)).memberGrowthFigures;
    expect(growth.buckets.length).toBeGreaterThanOrEqual(12);
    const growthRows = await tableRows(section('memberGrowth'));
    expect(growthRows).toEqual(growth.buckets.map((b: any) => [month(b.start, tz), count(b.newMembers), count(b.newPaidMembers), count(b.totalMembers), count(b.paidMembers)]));
    // One figure against the raw tables: every member who had joined by the refresh, in the last bucket.
    const [{ n }] = await t.db.query(`select count(*)::int as n from member where created_at <= $1`, [asOf]);
    expect(growthRows.at(-1)![3]).toBe(count(n));
    expect(n).toBeGreaterThan(300);

    const conversion = (await figures(ConsolePaidConversionFiguresDocument, await periodOf(section('paidConversion')), analyst)).paidConversionFigures;
    expect(await tableRows(section('paidConversion'))).toEqual(
      conversion.cohorts.map((c: any) => [month(c.month, tz), count(c.members), count(c.converted), count(c.convertedWithin30Days), percent(c.conversionRate), percent(c.members ? c.convertedWithin30Days / c.members : null)]),
    );

    const renewals = (await figures(ConsoleRenewalFiguresDocument, { ...(await periodOf(section('renewals'))), bucket: 'MONTH' }, analyst)).renewalFigures;
    expect(await tableRows(section('renewals'))).toEqual(
      renewals.buckets.map((b: any) => [month(b.start, tz), count(b.periodsDue), count(b.periodsRenewed), count(b.periodsPending), percent(b.renewalRate), count(b.membershipsEnded), count(b.repurchased), percent(b.repurchaseRate)]),
    );

    const orders = (await figures(ConsoleOrderValueFiguresDocument, { ...(await periodOf(section('orderValue'))), bucket: 'WEEK' }, analyst)).orderValueFigures;
    expect(await tableRows(section('orderValue'))).toEqual(orders.buckets.map((b: any) => [day(b.start, tz), count(b.orders), money(b.gross), money(b.refunded), money(b.net), money(b.averageOrderValue)]));
    expect(orders.buckets.some((b: any) => b.orders > 0)).toBe(true);

    const utilization = (await figures(ConsoleBenefitUtilizationFiguresDocument, await periodOf(section('benefitUtilization')), analyst)).benefitUtilizationFigures;
    expect(await tableRows(section('benefitUtilization'))).toEqual(
      utilization.benefits.map((b: any) => [`${b.benefitName} ${b.benefitCode}`, b.partnerName, b.kind, b.quota === null ? '—' : count(b.quota), count(b.rights), count(b.unitsGranted), count(b.unitsUsed), percent(b.utilization), money(b.value)]),
    );

    const value = (await figures(ConsoleMemberValueFiguresDocument, await periodOf(section('memberValue')), analyst)).memberValueFigures;
    const perPeriod = (total: number, periods: number) => (periods ? money({ amount: Math.round(total / periods), currency: value.currency }) : '—');
    expect(await tableRows(section('memberValue'), 0)).toEqual(
      value.byPlan.map((p: any) => [p.planCode, count(p.periods), money(p.value), money(p.fees), percent(p.valueToFee), perPeriod(p.value.amount, p.periods), perPeriod(p.fees.amount, p.periods)]),
    );
    expect(await tableRows(section('memberValue'), 1)).toEqual(value.bands.map((b: any) => [b.label, count(b.periods)]));
    expect(await section('memberValue').locator('.figure-summary').innerText()).toContain(`${count(value.periods)} paid periods: ${money(value.value)} of value for ${money(value.fees)} of fees`);

    // In points for an analyst (the money needs the prices agreed with partners).
    const liability = (await figures(ConsolePointsOutstandingFiguresDocument, {}, analyst)).pointsOutstandingFigures;
    expect(await tableRows(section('pointsLiability'))).toEqual(liability.expiry.map((e: any) => [e.month ? month(e.month, tz) : 'No expiry', count(e.points), count(e.members)]));
    expect(liability.outstandingPoints).toBeGreaterThan(0);

    const tiers = (await figures(ConsoleTierFiguresDocument, await periodOf(section('tiers')), analyst)).tierFigures;
    expect(await tableRows(section('tiers'), 0)).toEqual(tiers.distribution.map((d: any) => [`${d.tierName} ${d.tierCode}`, count(d.members), percent(d.share)]));
    const tierName = new Map(tiers.distribution.map((d: any) => [d.tierCode, d.tierName]));
    expect(await tableRows(section('tiers'), 1)).toEqual(tiers.moves.map((mv: any) => [month(mv.month, tz), tierName.get(mv.fromTier) ?? mv.fromTier, tierName.get(mv.toTier) ?? mv.toTier, mv.reason, count(mv.moves)]));

    const dependency = (await figures(ConsolePartnerDependencyFiguresDocument, await periodOf(section('partnerDependency')), analyst)).partnerDependencyFigures;
    expect(await tableRows(section('partnerDependency'))).toEqual(
      dependency.partners.map((p: any) => [p.partnerName, money(p.realizedValue), percent(p.valueShare), count(p.pointsIssued), percent(p.pointsShare), count(p.liveRights), count(p.membersWithLiveRights), count(p.paidMembersWithLiveRights)]),
    );

    // Another period asks again for that section only, and its table follows.
    const growthSection = section('memberGrowth');
    await growthSection.getByLabel('Per', { exact: true }).selectOption('WEEK');
    await growthSection.getByRole('button', { name: 'Show' }).click();
    await growthSection.locator('figure.chart[data-drawn="true"]').waitFor();
    const weeks = (await figures(ConsoleMemberGrowthFiguresDocument, { ...growthRange, bucket: 'WEEK' }, analyst)).memberGrowthFigures;
    expect((await tableRows(growthSection)).length).toBe(weeks.buckets.length);

    expect(consoleErrors).toEqual([]);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('lets a product manager rebuild the figures, see the liability in money, what a partner leaving would touch, and simulate a bundle’s cost with problems at their fields', async () => {
    const page = await signIn(pm);
    await page.goto(`${t.app.url}/console#/figures`);
    await page.locator('figure.chart[data-chart="pointsLiability"][data-drawn="true"]').waitFor({ timeout: 20_000 });
    expect(await page.locator('section[data-figure="pointsLiability"] .figure-summary').innerText()).toMatch(/points outstanding, held by [\d,]+ members: CN¥[\d,.]+ \(at least CN¥/);
    await page.getByRole('button', { name: 'Rebuild the figures now' }).click();
    await expect.poll(async () => (await figures(ConsoleProgramFiguresRunDocument, {}, pm)).programFiguresRun.asOf, { timeout: 20_000 }).not.toBe(asOf);
    const rebuilt = (await figures(ConsoleProgramFiguresRunDocument, {}, pm)).programFiguresRun;
    expect(rebuilt.trigger).toBe('ON_DEMAND');
    await expect.poll(() => page.locator('.figures-run p').innerText(), { timeout: 10_000 }).toContain(`rebuilt in ${count(rebuilt.durationMs)} ms`);

    await page.getByRole('link', { name: 'Partner economics' }).click();
    await page.getByLabel('Partner', { exact: true }).selectOption('sparkwash');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.locator('.figure-summary[data-partner="sparkwash"]').waitFor();
    const exit = (await figures(ConsolePartnerExitFiguresDocument, { partnerId: 'sparkwash' }, pm)).partnerExitFigures;
    expect(exit.members).toBeGreaterThan(0);
    expect(await page.locator('.figure-summary[data-partner="sparkwash"]').innerText()).toBe(
      `${exit.partnerName}: ${count(exit.members)} members hold its rights now (${count(exit.paidMembers)} of them paying); its till issued ${count(exit.pointsOutstanding)} points still outstanding, a liability of ${money(exit.pointsLiability)}.`,
    );
    await page.locator('figure.chart[data-chart="partnerExitRights"][data-drawn="true"]').waitFor();
    for (const replacement of exit.replacements) {
      const rows = await page.locator(`.replacement[data-benefit="${replacement.benefit.benefitCode}"] tbody tr`).allInnerTexts();
      expect(rows.map((r) => r.split('\t').map((c) => c.trim()))).toEqual(
        replacement.candidates.map((c: any) => [`${c.benefitName} ${c.benefitCode}`, c.partnerName, c.kind, money(c.unitPrice), money(c.memberValue)]),
      );
    }
    await screenshot(page, 'partner-exit');

    // The bundle cost simulation: an unknown version, then PLUS_BUNDLE's, then a utilization out of range.
    const version = page.getByLabel('Bundle version id');
    await version.fill('00000000-0000-4000-8000-000000000000');
    await page.getByRole('button', { name: 'Simulate' }).click();
    const versionProblem = page.locator('[data-field="bundleVersionId"] .problem');
    await expect.poll(() => versionProblem.innerText()).toMatch(/bundle version/);
    expect(await page.getByLabel('Bundle version id').getAttribute('aria-invalid')).toBe('true');
    const [plus] = await t.db.query(`select v.id from bundle_version v join bundle b on b.id = v.bundle_id where b.code = 'PLUS_BUNDLE' order by v.version desc limit 1`);
    await page.getByLabel('Bundle version id').fill(plus.id);
    await page.getByRole('button', { name: 'Simulate' }).click();
    await page.locator('section.plan-cost[data-plan="PLUS"] figure.chart[data-drawn="true"]').waitFor();
    expect(await page.locator('section.plan-cost[data-plan="PLUS"] h3').innerText()).toMatch(/^Plan PLUS \(YEAR\): fee CN¥198\.00, cost CN¥[\d,.]+ \([\d.]+% of the fee\), margin -?CN¥/);
    await page.getByLabel(/^Utilization of .* \(0 to 1; observed/).first().fill('1.5');
    await page.getByRole('button', { name: 'Simulate' }).click();
    const utilizationProblem = page.locator('fieldset[data-field="utilization"] > .problem');
    await expect.poll(() => utilizationProblem.innerText()).toBe('each utilization must be between 0 and 1');
    expect(await page.getByRole('alert').locator('[data-code]').first().getAttribute('data-code')).toBe('BAD_USER_INPUT');
    await screenshot(page, 'bundle-cost');

    expect(consoleErrors).toEqual([]);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('refuses a plain member the figures: no page offered, and FORBIDDEN from the server at the address', async () => {
    const page = await signIn(await t.memberToken('figures-member'));
    expect(await page.getByRole('link', { name: 'Figures' }).count()).toBe(0);
    await page.goto(`${t.app.url}/console#/figures`);
    const refused = page.locator('section[data-figure="memberGrowth"] [role="alert"] [data-code]');
    await refused.waitFor();
    expect(await refused.getAttribute('data-code')).toBe('FORBIDDEN');
    expect(await page.locator('figure.chart').count()).toBe(0);
    await screenshot(page, 'figures-forbidden');
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
