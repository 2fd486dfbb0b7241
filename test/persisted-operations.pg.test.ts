// Safelist mode: production clients send only persisted operations, by sha256.
import fs from 'node:fs/promises';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operationHash, operationTexts } from '../src/edge/persisted-operations.js';
import { startTestApp, type TestApp } from './support/app.js';

const MANIFEST = 'operations/manifest.json';
let plansHash: string;

async function operationsInSource(): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const file of (await fs.readdir('operations')).filter((f) => f.endsWith('.graphql'))) {
    // Each operation with the fragments it spreads, as a client sends it.
    for (const [name, text] of operationTexts(parse(await fs.readFile(`operations/${file}`, 'utf8')))) found.set(name, operationHash(text));
  }
  return found;
}

async function send(t: TestApp, body: unknown) {
  const res = await fetch(t.app.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return (await res.json()) as { data?: any; errors?: Array<{ message: string; extensions?: { code?: string } }> };
}

beforeAll(async () => {
  plansHash = (await operationsInSource()).get('Plans')!;
});

describe('the operations manifest', () => {
  it('lists exactly the operations of operations/*.graphql (run npm run -s operations:manifest after editing them)', async () => {
    const manifest = JSON.parse(await fs.readFile(MANIFEST, 'utf8')) as Record<string, string>;
    expect(new Set(Object.keys(manifest))).toEqual(new Set((await operationsInSource()).values()));
  });
});

describe('safelist mode (PERSISTED_OPERATIONS_ONLY)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { PERSISTED_OPERATIONS_FILE: MANIFEST, PERSISTED_OPERATIONS_ONLY: 'true' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('serves a persisted operation sent by its hash', async () => {
    const res = await send(t, { extensions: { persistedQuery: { version: 1, sha256Hash: plansHash } } });
    expect(res.errors).toBeUndefined();
    expect(res.data.plans.map((p: { code: string }) => p.code)).toContain('PLUS');
  });

  it('refuses an operation sent as text, and an unknown hash', async () => {
    const text = await send(t, { query: '{ plans { code } }' });
    expect(text.data ?? null).toBeNull();
    expect(text.errors?.[0]?.message).toEqual(expect.any(String));
    const unknown = await send(t, { extensions: { persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } } });
    expect(unknown.data ?? null).toBeNull();
    expect(unknown.errors?.[0]?.message).toMatch(/not ?found/i);
  });
});

describe('without safelist mode', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { PERSISTED_OPERATIONS_FILE: MANIFEST } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('serves persisted operations and text alike', async () => {
    expect((await send(t, { extensions: { persistedQuery: { version: 1, sha256Hash: plansHash } } })).data.plans.map((p: { code: string }) => p.code)).toContain('PLUS');
    expect((await send(t, { query: '{ plans { code } }' })).data.plans.map((p: { code: string }) => p.code)).toContain('PLUS');
  });
});
