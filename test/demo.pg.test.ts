// `npm run demo` against a running app: the README's "Try it" path, every step checked, with
// the credentials dev:credential makes from the app's configuration (DATA_DIR, DATABASE_URL).
// Runs the compiled script (npm test builds dist/ first), as `npx node dist/scripts/demo.js --url …`.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';

const DEMO = path.resolve('dist/scripts/demo.js');

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

async function demo(env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: t.dataDir, DATABASE_URL: t.db.url, ...env };
  delete childEnv.DEMO_URL;
  // Asynchronous: the app answers from this process while the demo runs.
  return promisify(execFile)(process.execPath, [DEMO, '--url', t.app.url], { env: childEnv, timeout: 60_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? -1, stdout: error.stdout ?? '', stderr: error.stderr ?? '' }),
  );
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

describe('npm run demo', () => {
  it('walks the Try it path against the running app, every step as it should be, and exits 0', async () => {
    const run = await demo();

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = run.stdout;
    const steps = out.split('\n').filter((line) => /^ ?\d+\/14 /.test(line));
    expect(steps).toHaveLength(14);
    expect(steps.every((line) => line.endsWith(': ok'))).toBe(true);
    expect(out).toMatch(/member JWT for "demo-[0-9a-f]{8}" signed by the dev issuer in /);
    expect(out).toMatch(/membership [0-9a-f-]{36}: ACTIVE until /);
    expect(out).toMatch(/CAR_WASH +ACTIVE +4 left/);
    expect(out).toMatch(/COFFEE +ACTIVE +10 left/);
    expect(out).toMatch(/header alg EdDSA, typ entitlement\+jwt/);
    expect(out).toMatch(/partner API key cgk_sparkwash_\S+ for "sparkwash" written to DATABASE_URL /);
    const redeemed = new RegExp(`redemption (${UUID}): 1 unit, 3 left`).exec(out);
    expect(redeemed).not.toBeNull();
    expect(out).toContain(`redemption ${redeemed![1]} again, 3 left: nothing redeemed twice`);
    expect(out).toContain('ALREADY_REDEEMED: This token has already been redeemed');
    expect(out).toMatch(/code DEMO-COFFEE-\d{4} \(QR coalition-voucher:brewbar:DEMO-COFFEE-\d{4}\), 9 coffees left this month/);
    expect(out).toMatch(/"total saved"\): ok\n +You saved ¥[\d,.]+ on a ¥198 membership\n +this period ¥[\d.]+; renews automatically: true\n/);
    expect(out).toMatch(/2500 points \(balance 2500, the newest lot expires \S+\); tier SILVER\n +Spend ¥[\d,]+ more by .+ to keep Silver\./);
    expect(out).toMatch(/A BrewBar coffee for 300 points \(balance 2200\), usable until \S+: code DEMO-COFFEE-\d{4}\n/);
    expect(out).toMatch(/Every step did what it should\.\n$/);

    // What the demo did, as the database has it: one redemption, two vouchers claimed (the plan's coffee and the one bought with points).
    const [rows] = await t.db.query(
      `select (select count(*) from redemption where id = $1)::int as redemptions,
              (select count(*) from redemption r join entitlement e on e.id = r.entitlement_id
                where e.member_id = (select member_id from redemption where id = $1))::int as member_redemptions,
              (select count(*) from voucher_code where claimed_at is not null)::int as claimed,
              (select count(*) from reward_redemption)::int as rewards`,
      [redeemed![1]],
    );
    expect(rows).toEqual({ redemptions: 1, member_redemptions: 1, claimed: 2, rewards: 1 });
  });

  it('exits 1 at the first step that fails: a dev issuer the app does not trust', async () => {
    const otherDataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'coalition-demo-'));
    try {
      const run = await demo({ DATA_DIR: otherDataDir });

      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/ 2\/14 a member credential .*: ok\n.*a NEW dev issuer just created in /);
      expect(run.stdout).toMatch(/ 3\/14 subscribe to PLUS: FAILED\n +UNAUTHENTICATED: /);
      expect(run.stdout).not.toContain(' 4/14');
      expect(run.stdout).not.toContain('Every step did what it should');
    } finally {
      await fs.rm(otherDataDir, { recursive: true, force: true });
    }
  });
});
