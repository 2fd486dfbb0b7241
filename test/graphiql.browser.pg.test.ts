import fs from 'node:fs';
import path from 'node:path';
import { stripIgnoredCharacters } from 'graphql';
import { chromium, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { renderGraphiQL } from '../src/edge/plugins/graphiql.js';
import { startTestApp, type SubscribedMember, type TestApp } from './support/app.js';

// The GraphQL IDE on GET /graphql works with no internet: a real Chromium (Debian's) opens
// it, runs queries, and every request the page and its Monaco workers made went to the app.

/** Debian's Chromium; Playwright's own browser downloads (`npx playwright install`) fail here. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const QUERY_EDITOR = '.graphiql-query-editor .monaco-editor';
const HEADERS_EDITOR = '.monaco-editor[data-uri$="request-headers.json"]';
/** A path (e.g. docs/img/graphiql.png) to save a screenshot of the IDE showing a result. */
const SCREENSHOT = process.env.GRAPHIQL_SCREENSHOT;

/** Why the browser tests cannot run, failing each of them (not skipping it); undefined with a Chromium. */
const NO_CHROMIUM = fs.existsSync(CHROMIUM)
  ? undefined
  : `No Chromium at ${CHROMIUM}: this test drives a real browser. Install Debian's as root ` +
    '(apt-get update && apt-get install -y chromium; .ci/run does it in CI) or set CHROMIUM_PATH to a Chromium binary. ' +
    '`npx playwright install` cannot download browsers here.';

describe('the GraphQL IDE in development', () => {
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let member: SubscribedMember;
  const requests: Request[] = [];
  const pageErrors: Error[] = [];

  beforeAll(async () => {
    // The IDE is on in development only: createGateway's `graphiql` is NODE_ENV=development.
    t = await startTestApp({ env: { NODE_ENV: 'development' } });
    member = await t.subscribedMember();
    if (NO_CHROMIUM) return;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    // The context sees the requests of every page and of the workers they start.
    context.on('request', (request) => requests.push(request));
    context.on('page', (page) => page.on('pageerror', (error) => pageErrors.push(error)));
  });
  beforeEach(() => {
    if (NO_CHROMIUM) throw new Error(NO_CHROMIUM);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const origin = () => new URL(t.app.graphqlUrl).origin;
  /** Requests that left the app's origin (data: URLs, such as the favicon, are no requests). */
  const foreign = () => requests.map((r) => r.url()).filter((url) => !url.startsWith('data:') && new URL(url).origin !== origin());

  async function openIde(): Promise<Page> {
    const page = await context.newPage();
    await page.goto(t.app.graphqlUrl);
    try {
      await page.locator(QUERY_EDITOR).waitFor({ timeout: 30_000 });
    } catch (error) {
      throw new Error(`The IDE's editor never appeared. Requests to other hosts: ${JSON.stringify(foreign())}; page errors: ${pageErrors.join('; ')}`, { cause: error });
    }
    return page;
  }

  /** Replaces an editor's text by typing it, as a person would (Monaco closes brackets and quotes itself). */
  async function typeInto(page: Page, editor: string, text: string): Promise<void> {
    await page.locator(editor).click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Backspace');
    await page.keyboard.type(text);
  }

  /** Runs the query editor's operation and resolves to the POST that carried it and the result pane's text. */
  async function run(page: Page, expected: string): Promise<{ request: Request; result: string }> {
    const [request] = await Promise.all([
      page.waitForRequest((r) => r.method() === 'POST' && r.url() === t.app.graphqlUrl && !r.postData()?.includes('IntrospectionQuery')),
      page.locator('.graphiql-execute-button').click(),
    ]);
    const pane = page.locator('.graphiql-response');
    await pane.getByText(expected).first().waitFor({ timeout: 15_000 });
    return { request, result: (await pane.innerText()).replace(/\s+/g, ' ') };
  }

  it('runs a query typed into the editor and shows its result, loading nothing from any other host', async () => {
    const page = await openIde();
    await typeInto(page, QUERY_EDITOR, '{ plans { code name } }');
    const { request, result } = await run(page, 'PLUS membership');

    expect(result).toContain('"code": "PLUS"');
    // A JSON POST without a CSRF header: what our CSRF rule lets through.
    expect(stripIgnoredCharacters(JSON.parse(request.postData()!).query)).toBe('{plans{code name}}');
    expect(request.headers()['content-type']).toContain('application/json');
    expect((await request.response())!.status()).toBe(200);

    // The recording covers the workers too: Monaco starts its three (lazily) from our origin.
    const assetsLoaded = () =>
      ['graphiql.', 'editor.worker.', 'json.worker.', 'graphql.worker.'].filter((asset) =>
        requests.some((r) => new URL(r.url()).pathname.startsWith(`/graphiql/${asset}`)),
      );
    await expect.poll(assetsLoaded, { timeout: 15_000 }).toEqual(['graphiql.', 'editor.worker.', 'json.worker.', 'graphql.worker.']);
    expect(foreign()).toEqual([]);
    expect(pageErrors).toEqual([]);
    // The IDE read the schema (completion, validation, docs) within our operation limits.
    const introspection = requests.find((r) => r.method() === 'POST' && r.postData()?.includes('IntrospectionQuery'))!;
    expect((await (await introspection.response())!.json()).data.__schema.queryType.name).toBe('Query');

    if (SCREENSHOT) {
      // Diagnostics from half-typed words clear once the whole query is in.
      await page.locator(`${QUERY_EDITOR} .squiggly-error`).first().waitFor({ state: 'detached' });
      fs.mkdirSync(path.dirname(path.resolve(SCREENSHOT)), { recursive: true });
      await page.screenshot({ path: SCREENSHOT });
    }
    await page.close();
  });

  it('sends the Authorization header typed in the headers tab', async () => {
    const page = await openIde();
    await page.getByRole('button', { name: 'Headers' }).click();
    await typeInto(page, HEADERS_EDITOR, JSON.stringify({ Authorization: `Bearer ${member.bearer}` }));
    await typeInto(page, QUERY_EDITOR, '{ me { id } }');
    const { request, result } = await run(page, member.memberId);

    expect(request.headers()['authorization']).toBe(`Bearer ${member.bearer}`);
    expect(result).toContain(`"id": "${member.memberId}"`);
    expect(foreign()).toEqual([]);
    await page.close();
  });

  it('serves its assets with a content hash, a year of caching, an ETag and gzip', async () => {
    const page = await fetch(t.app.graphqlUrl, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type')).toContain('text/html');
    const script = new URL(/<script src="([^"]+)"/.exec(await page.text())![1]!, t.app.graphqlUrl).href;
    expect(script).toMatch(/\/graphiql\/graphiql\.[\w-]{16}\.js$/);
    const first = await fetch(script, { headers: { 'accept-encoding': 'gzip' } });
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(first.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(first.headers.get('content-encoding')).toBe('gzip');
    const text = await first.text(); // fetch inflates it
    expect(text.length).toBeGreaterThan(1_000_000);
    const plain = await fetch(script, { headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await plain.text()).toBe(text);
    const etag = first.headers.get('etag')!;
    expect(script).toContain(etag.replaceAll('"', '')); // the ETag is the hash in the name

    const again = await fetch(script, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    // A stale hash (the package upgraded under an open tab) is not served as the new file.
    expect((await fetch(script.replace(/\.[\w-]+\.js$/, '.AAAAAAAAAAAAAAAA.js'))).status).toBe(404);
  });
});

describe('outside development', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(); // NODE_ENV=test: like production, no IDE
  });
  afterAll(async () => {
    await t?.close();
  });

  it('serves no IDE page and no IDE assets', async () => {
    const page = await fetch(t.app.graphqlUrl, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type') ?? '').not.toContain('text/html');
    expect(await page.text()).not.toContain('GraphiQL');
    // The asset names a development process would serve.
    const names = [...(await renderGraphiQL()).matchAll(/\/graphiql\/[\w.-]+\.(?:js|css)/g)].map(([name]) => name);
    expect(names).toHaveLength(5);
    for (const name of names) expect((await fetch(`${t.app.url}${name}`)).status).toBe(404);
  });
});
