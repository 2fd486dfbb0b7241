// The typed client front-ends install (packages/client, an npm workspace): imported the way an
// app imports it (its package name, resolved to the dist/ its `prepare` built), talking to a real
// gateway, and packed with what an app outside the repository needs.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleCatalogDraftDocument, createClient, GatewayError, MeDocument, PlansDocument } from '@coalition-gateway/client';
import { startTestApp, type TestApp } from './support/app.js';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

describe('the typed client (@coalition-gateway/client)', () => {
  it('sends a typed operation and returns its data, in the language asked for', async () => {
    const gateway = createClient({ url: t.app.graphqlUrl, language: () => 'zh-CN' });

    const { plans } = await gateway.request(PlansDocument, {});

    expect(plans.map((p) => p.code).sort()).toEqual(['PLUS', 'PLUS_MONTHLY']);
    expect(plans.every((p) => /[\u4e00-\u9fff]/.test(p.name))).toBe(true);
  });

  it("sends the credential it is given and reads the member's own data", async () => {
    const bearer = await t.memberToken('typed-client-member');
    const gateway = createClient({ url: t.app.graphqlUrl, credential: () => bearer });

    const { me } = await gateway.request(MeDocument, {});

    expect(me.membership).toBeNull();
    expect(me.entitlements).toEqual([]);
  });

  it("turns the gateway's refusals into a GatewayError carrying the contract's codes", async () => {
    const anonymous = createClient({ url: t.app.graphqlUrl });
    const refused = await anonymous.request(MeDocument, {}).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(GatewayError);
    expect((refused as GatewayError).code).toBe('UNAUTHENTICATED');

    const admin = await t.adminToken('typed-client-admin');
    const staff = createClient({ url: t.app.graphqlUrl, credential: () => admin });
    const missing = await staff.request(ConsoleCatalogDraftDocument, { draftId: 'no-such-draft' }).catch((error: unknown) => error);
    expect((missing as GatewayError).errors.map((e) => e.code)).toEqual(['NOT_FOUND']);
  });

  it('says NETWORK when the gateway cannot be reached', async () => {
    const gateway = createClient({ url: 'http://127.0.0.1:9/graphql' });
    const refused = await gateway.request(PlansDocument, {}).catch((error: unknown) => error);
    expect((refused as GatewayError).code).toBe('NETWORK');
  });

  it('packs with its built JavaScript and declarations for apps outside the repository', async () => {
    const { stdout } = await promisify(execFile)('npm', ['pack', '-w', 'packages/client', '--dry-run', '--json', '--ignore-scripts'], { timeout: 60_000 });
    const files = (JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'dist/operations.js', 'dist/operations.d.ts', 'package.json', 'README.md']));
  });
});
