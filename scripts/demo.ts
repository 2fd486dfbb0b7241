// npm run demo [-- --url http://localhost:4000] [--member <id>]
// Walks the README's "Try it" path against a running server and prints each step: a member
// credential, subscribe to PLUS, the member's entitlements, a CAR_WASH token, its redemption
// with a partner key, an idempotent replay, a refused second use, a COFFEE voucher claim, what
// the membership saved the member so far ("total saved"), then the loyalty program: a purchase
// one of our channels records (points and a tier) and a coffee bought with points.
// Credentials come as from `npm run -s dev:credential` (same configuration: DATA_DIR,
// DATABASE_URL, EMBEDDED_PG_PORT). Exits 1 at the first step that does not do what it should.
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { loadConfig, type AppConfig } from '../src/platform/config.js';
import { devCredential } from './credentials.js';

export interface DemoOptions {
  /** Base URL of the running server (its public port). */
  url: string;
  /** The configuration the server runs with: where the dev issuer and the database are. */
  config: AppConfig;
  /** Subject of the demo member. @default a new one per run, `demo-<random>` */
  member?: string;
  /** Where each line goes. @default stdout */
  print?: (line: string) => void;
}

/** Why a step did not do what it should. */
class StepFailure extends Error {}

interface GraphQLAnswer {
  data?: Record<string, any> | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

const STEPS = 14;

/** Runs the demo; true when every step did what it should. */
export async function runDemo(options: DemoOptions): Promise<boolean> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const base = options.url.replace(/\/+$/, '').replace(/\/graphql$/, '');
  const run = randomBytes(4).toString('hex');
  const subject = options.member ?? `demo-${run}`;
  let number = 0;

  /** Runs one step: prints its title and what it showed, or why it failed (and stops the demo). */
  async function step<T>(title: string, work: () => Promise<{ value: T; shown: string[] }>): Promise<T> {
    number += 1;
    const label = `${String(number).padStart(2)}/${STEPS} ${title}`;
    try {
      const { value, shown } = await work();
      print(`${label}: ok`);
      for (const line of shown) print(`       ${line}`);
      return value;
    } catch (error) {
      print(`${label}: FAILED`);
      print(`       ${error instanceof Error ? error.message : String(error)}`);
      throw new StepFailure(title);
    }
  }

  async function graphql(bearer: string, query: string, variables: Record<string, unknown> = {}): Promise<GraphQLAnswer> {
    const response = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.text();
    try {
      return JSON.parse(text) as GraphQLAnswer;
    } catch {
      throw new Error(`HTTP ${response.status} from ${base}/graphql: ${text.slice(0, 200)}`);
    }
  }

  /** The data of an answer that must succeed; its first error otherwise. */
  async function ok(bearer: string, query: string, variables?: Record<string, unknown>): Promise<Record<string, any>> {
    const answer = await graphql(bearer, query, variables);
    const [error] = answer.errors ?? [];
    if (error || !answer.data) throw new Error(error ? `${error.extensions?.code ?? 'ERROR'}: ${error.message}` : 'no data in the answer');
    return answer.data;
  }

  function expect(condition: boolean, problem: string): void {
    if (!condition) throw new Error(problem);
  }

  print(`Demo against ${base} (dev issuer in ${options.config.dataDir}/dev-issuer; member "${subject}")`);
  try {
    await step('the server is ready', async () => {
      const response = await fetch(`${base}/readyz`).catch((error: unknown) => {
        throw new Error(`cannot reach ${base} (${(error as Error).cause ?? error}); start it with npm start, or pass --url / DEMO_URL`);
      });
      if (!response.ok) throw new Error(`GET ${base}/readyz answered ${response.status}: ${await response.text()}`);
      return { value: undefined, shown: [`GET ${base}/readyz ${response.status}`] };
    });

    const member = await step('a member credential (npm run -s dev:credential -- member …)', async () => {
      const { credential, origin } = await devCredential(options.config, 'member', subject);
      return { value: credential, shown: [origin] };
    });

    await step('subscribe to PLUS', async () => {
      const { subscribe } = await ok(member, `mutation($key: String!) { subscribe(planCode: "PLUS", idempotencyKey: $key) { id status currentPeriodEnd } }`, {
        key: `demo-order-${subject}`,
      });
      expect(subscribe.status === 'ACTIVE', `the membership is ${subscribe.status}, not ACTIVE`);
      return { value: subscribe, shown: [`membership ${subscribe.id}: ${subscribe.status} until ${subscribe.currentPeriodEnd}`] };
    });

    type Entitlement = { id: string; status: string; remaining: number | null; validUntil: string; benefit: { code: string; name: string; partner: { id: string } } };
    const entitlementsQuery = `{ me { entitlements { id status remaining validUntil benefit { code name partner { id } } } } }`;
    const entitlements = await step('list the entitlements', async () => {
      const { me } = await ok(member, entitlementsQuery);
      const byCode = new Map<string, Entitlement>(me.entitlements.map((e: Entitlement) => [e.benefit.code, e]));
      for (const code of ['CAR_WASH', 'COFFEE']) {
        const entitlement = byCode.get(code);
        expect(entitlement?.status === 'ACTIVE' && (entitlement.remaining ?? 0) > 0, `${code} is ${entitlement ? `${entitlement.status} with ${entitlement.remaining} left` : 'missing'}`);
      }
      const shown = [...byCode.values()].map(
        (e) => `${e.benefit.code.padEnd(15)} ${e.status.padEnd(17)} ${e.remaining === null ? 'unlimited' : `${e.remaining} left`}, until ${e.validUntil} (${e.benefit.partner.id})`,
      );
      return { value: byCode, shown };
    });
    const carWash = entitlements.get('CAR_WASH')!;
    const coffee = entitlements.get('COFFEE')!;

    const token = await step('issue a CAR_WASH token', async () => {
      const { issueEntitlementToken: issued } = await ok(member, `mutation($id: ID!) { issueEntitlementToken(entitlementId: $id) { token expiresAt } }`, { id: carWash.id });
      const header = decodeProtectedHeader(issued.token);
      const claims = decodeJwt(issued.token);
      expect(claims.aud === 'sparkwash' && claims.ben === 'CAR_WASH' && claims.ent === carWash.id, `unexpected claims ${JSON.stringify(claims)}`);
      return {
        value: issued.token as string,
        shown: [
          `expires ${issued.expiresAt}; header alg ${header.alg}, typ ${header.typ}, kid ${header.kid}`,
          `claims iss ${claims.iss}, aud ${claims.aud}, sub ${claims.sub}, ent ${claims.ent}, ben ${claims.ben}`,
          `verify it offline: npx entitlement-verify --issuer ${claims.iss} --audience sparkwash <token>`,
        ],
      };
    });

    const partner = await step('a partner key for sparkwash (npm run -s dev:credential -- partner sparkwash)', async () => {
      const { credential, origin } = await devCredential(options.config, 'partner', 'sparkwash');
      return { value: credential, shown: [origin] };
    });

    const redeem = `mutation($t: String!, $key: String!) { redeemEntitlement(token: $t, idempotencyKey: $key) { id units entitlement { remaining } } }`;
    const key = `demo-wash-${run}`;
    const redemption = await step(`redeem the token as sparkwash (idempotency key ${key})`, async () => {
      const { redeemEntitlement: r } = await ok(partner, redeem, { t: token, key });
      expect(r.units === 1 && r.entitlement.remaining === carWash.remaining! - 1, `expected 1 unit and ${carWash.remaining! - 1} left, got ${JSON.stringify(r)}`);
      return { value: r, shown: [`redemption ${r.id}: ${r.units} unit, ${r.entitlement.remaining} left`] };
    });

    await step('replay it with the same idempotency key: the same answer', async () => {
      const { redeemEntitlement: replay } = await ok(partner, redeem, { t: token, key });
      expect(JSON.stringify(replay) === JSON.stringify(redemption), `the replay answered ${JSON.stringify(replay)}, not ${JSON.stringify(redemption)}`);
      return { value: undefined, shown: [`redemption ${replay.id} again, ${replay.entitlement.remaining} left: nothing redeemed twice`] };
    });

    await step('redeem the same token with a new key: refused', async () => {
      const answer = await graphql(partner, redeem, { t: token, key: `${key}-again` });
      const code = answer.errors?.[0]?.extensions?.code;
      expect(code === 'ALREADY_REDEEMED', `expected ALREADY_REDEEMED, got ${answer.errors ? code : JSON.stringify(answer.data)}`);
      return { value: undefined, shown: [`${code}: ${answer.errors![0]!.message}`] };
    });

    await step('claim a COFFEE voucher', async () => {
      const { claimVoucher } = await ok(member, `mutation($id: ID!) { claimVoucher(entitlementId: $id) { code qrPayload claimedAt } }`, { id: coffee.id });
      const { me } = await ok(member, entitlementsQuery);
      const after = me.entitlements.find((e: Entitlement) => e.id === coffee.id) as Entitlement;
      expect(after.remaining === coffee.remaining! - 1, `COFFEE has ${after.remaining} left, expected ${coffee.remaining! - 1}`);
      return { value: undefined, shown: [`code ${claimVoucher.code} (QR ${claimVoucher.qrPayload}), ${after.remaining} coffees left this month`] };
    });

    await step('what the membership saved so far ("total saved")', async () => {
      const { me } = await ok(member, `{ me { membership { autoRenew savings { thisPeriod { amount } sinceJoined { amount } feesPaid { amount } summary } } } }`);
      const savings = me.membership.savings;
      // At least the car wash (¥39) and the coffee (¥28) just used, at their value to a member.
      expect(savings.thisPeriod.amount >= 3_900 + 2_800 && savings.feesPaid.amount === 19_800, `unexpected savings ${JSON.stringify(savings)}`);
      return {
        value: undefined,
        shown: [savings.summary, `this period ¥${savings.thisPeriod.amount / 100}; renews automatically: ${me.membership.autoRenew}`],
      };
    });

    const admin = await step('an admin credential, as one of our channels would use (npm run -s dev:credential -- admin …)', async () => {
      const { credential, origin } = await devCredential(options.config, 'admin', `demo-admin-${run}`);
      return { value: credential, shown: [origin] };
    });

    await step('record a ¥2,500 purchase in the app: points and a tier', async () => {
      const { me } = await ok(member, `{ me { id } }`);
      const { recordActivity: activity } = await ok(
        admin,
        `mutation($input: ActivityInput!) { recordActivity(input: $input) { points tierAfter } }`,
        { input: { memberId: me.id, type: 'PURCHASE', channel: 'app', externalId: `demo-purchase-${run}`, amount: { amount: 250_000, currency: 'CNY' } } },
      );
      const { me: after } = await ok(member, `{ me { points { balance lots { remaining expiresAt } } tier { code } tierProgress { explanation } } }`);
      expect(activity.points === 2_500 && after.points.balance >= 2_500, `expected 2,500 points, got ${JSON.stringify(activity)} and a balance of ${after.points.balance}`);
      const lot = after.points.lots.at(-1);
      return {
        value: undefined,
        shown: [`${activity.points} points (balance ${after.points.balance}, the newest lot expires ${lot?.expiresAt}); tier ${after.tier.code}`, after.tierProgress.explanation],
      };
    });

    await step('buy a BrewBar coffee with 300 points', async () => {
      const { redeemReward } = await ok(
        member,
        `mutation($key: String!) { redeemReward(rewardCode: "COFFEE_REWARD", idempotencyKey: $key) { pointsBalance redemption { rewardName points entitlement { id source benefit { code } validUntil } } } }`,
        { key: `demo-coffee-${run}` },
      );
      const right = redeemReward.redemption.entitlement;
      expect(right?.source === 'REWARD' && right.benefit.code === 'COFFEE', `expected a COFFEE right from the reward, got ${JSON.stringify(right)}`);
      const { claimVoucher } = await ok(member, `mutation($id: ID!) { claimVoucher(entitlementId: $id) { code } }`, { id: right.id });
      return {
        value: undefined,
        shown: [`${redeemReward.redemption.rewardName} for ${redeemReward.redemption.points} points (balance ${redeemReward.pointsBalance}), usable until ${right.validUntil}: code ${claimVoucher.code}`],
      };
    });
  } catch (error) {
    if (error instanceof StepFailure) return false;
    throw error;
  }
  print('Every step did what it should.');
  return true;
}

async function main(): Promise<void> {
  const program = new Command('npm run demo --')
    .description('Walk the README\'s "Try it" path against a running server, step by step.')
    .option('--url <url>', 'the server\'s public URL (or DEMO_URL)', process.env.DEMO_URL ?? 'http://localhost:4000')
    .option('--member <id>', 'subject of the demo member (default: a new one per run)')
    .parse();
  const { url, member } = program.opts<{ url: string; member?: string }>();
  if (process.env.NODE_ENV === 'production') throw new Error('the demo uses development credentials and refuses to run when NODE_ENV=production');
  const passed = await runDemo({ url, config: loadConfig(), ...(member ? { member } : {}) });
  process.exit(passed ? 0 : 1);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
