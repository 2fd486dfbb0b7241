// The layout's rules, checked: tables written only by the module that owns them, and the
// dependency-cruiser rules of .dependency-cruiser.cjs shown to catch each violation they name
// (on a miniature tree of bad imports; CI runs them on the real tree: npm run -s check:boundaries).
import { readdirSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { cruise, type ICruiseResult, type IConfiguration } from 'dependency-cruiser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

/** Tables whose rows only one module writes, and that module's folder. */
const OWNERS: Record<string, string> = {
  entitlement: 'src/modules/entitlement/',
  outbox_event: 'src/modules/outbox/',
  issued_token: 'src/modules/token/',
  audit_log: 'src/modules/audit/',
  partner_api_key: 'src/modules/partner/',
  payment: 'src/modules/membership/',
  payment_refund: 'src/modules/membership/',
  membership_event: 'src/modules/membership/',
  member_notification: 'src/modules/notification/',
  member_moment: 'src/modules/moments/',
  member_messaging_preference: 'src/modules/moments/',
  test_clock: 'src/modules/test-clock/',
  loyalty_program: 'src/modules/loyalty-program/',
  loyalty_tier: 'src/modules/loyalty-program/',
  loyalty_reward: 'src/modules/loyalty-program/',
  points_account: 'src/modules/points/',
  points_journal: 'src/modules/points/',
  points_transfer: 'src/modules/points/',
  points_lot: 'src/modules/points/',
  member_tier: 'src/modules/tier/',
  tier_change: 'src/modules/tier/',
  tier_qualifying_month: 'src/modules/tier/',
  activity: 'src/modules/activity/',
  member_birthday: 'src/modules/activity/',
  channel_api_key: 'src/modules/activity/',
  membership_card: 'src/modules/coalition/',
  reward_redemption: 'src/modules/reward/',
  catalog_draft: 'src/modules/catalog/',
  loyalty_tier_benefit: 'src/modules/loyalty-program/',
  campaign: 'src/modules/campaign/',
  campaign_grant: 'src/modules/campaign/',
  campaign_benefit_grant: 'src/modules/campaign/',
  campaign_announcement: 'src/modules/campaign/',
  activity_import: 'src/modules/activity-import/',
  activity_import_line: 'src/modules/activity-import/',
  activity_import_lane: 'src/modules/activity-import/',
  segment_config: 'src/modules/segment/',
  member_segment: 'src/modules/segment/',
  member_segment_score: 'src/modules/segment/',
  member_segment_change: 'src/modules/segment/',
  segment_run: 'src/modules/segment/',
  segment_schedule: 'src/modules/segment/',
  figures_run: 'src/modules/program-figures/',
  figures_day: 'src/modules/program-figures/',
  figures_cohort: 'src/modules/program-figures/',
  figures_period_value: 'src/modules/program-figures/',
  figures_benefit: 'src/modules/program-figures/',
  figures_points_month: 'src/modules/program-figures/',
  figures_tier_move: 'src/modules/program-figures/',
};

/**
 * Written elsewhere on purpose: the trigger the entitlement entity declares flips its live
 * tokens' status-list entries in the transaction that ends a right (the database does it, so no
 * path can forget it; see docs/decisions.md "Status lists").
 */
const DECLARED_EXCEPTIONS = [{ file: 'src/modules/entitlement/entitlement.entity.ts', table: 'issued_token' }];

describe('data ownership', () => {
  it('lets only the owning module write the entitlement, outbox, token, audit, partner key, payment, timeline, notification, moment, clock, loyalty, activity import, segment and program figures tables', () => {
    const offenders: string[] = [];
    for (const file of [...sourceFiles('src'), ...sourceFiles('partners'), ...sourceFiles('scripts')]) {
      const text = readFileSync(path.join(root, file), 'utf8');
      for (const [table, owner] of Object.entries(OWNERS)) {
        const write = new RegExp(`\\b(update|insert\\s+into|delete\\s+from|truncate)\\s+"?${table}"?\\b`, 'i');
        if (!write.test(text) || file.startsWith(owner)) continue;
        if (DECLARED_EXCEPTIONS.some((e) => e.file === file && e.table === table)) continue;
        offenders.push(`${file} writes ${table} (owned by ${owner})`);
      }
    }
    expect(offenders).toEqual([]);
  });
});

describe('module boundaries', () => {
  let tree: string;
  let result: ICruiseResult;

  /** A file of the miniature tree and what it imports. */
  const files: Record<string, string> = {
    'src/platform/config.ts': "import { x } from '../edge/gateway.js';\nexport const config = x;",
    'src/platform/errors.ts': 'export const errors = 1;',
    'src/edge/gateway.ts': "import { y } from '../hosting/subgraph.js';\nexport const x = y;",
    'src/hosting/subgraph.ts': "import { internal } from '../modules/a/internal.js';\nexport const y = internal;",
    'src/composition/supergraph.ts': "import { a } from '../modules/a/index.js';\nexport const s = a;",
    'src/modules/a/index.ts': "export { internal as a } from './internal.js';",
    'src/modules/a/internal.ts': "import { b } from '../b/internal.js';\nimport { runtime } from '../../runtime/app.js';\nexport const internal = b + runtime;",
    'src/modules/b/index.ts': "export { b } from './internal.js';",
    'src/modules/b/internal.ts': "import { c } from '../c/index.js';\nexport const b = c;",
    'src/modules/c/index.ts': "import { b } from '../b/index.js';\nimport { sparkwash } from '../../../partners/sparkwash/index.js';\nexport const c = b + sparkwash;",
    'src/modules/d/index.ts': "import { port } from '../../../payments/sdk/index.js';\nimport { wechatpay } from '../../../payments/wechatpay/index.js';\nexport const d = port + wechatpay;",
    'src/built-in-payments.ts': "import { wechatpay } from '../payments/wechatpay/index.js';\nexport const payments = wechatpay;",
    'payments/sdk/index.ts': "import { errors } from '../../src/platform/errors.js';\nexport const port = errors;",
    'payments/wechatpay/index.ts': "import { port } from '../sdk/index.js';\nimport { alipay } from '../alipay/index.js';\nimport { config } from '../../src/platform/config.js';\nexport const wechatpay = port + alipay + config;",
    'payments/alipay/index.ts': "import { port } from '../sdk/index.js';\nexport const alipay = port;",
    'src/runtime/app.ts': "import { main } from '../main.js';\nexport const runtime = main;",
    'src/main.ts': "import { sparkwash } from '../partners/sparkwash/index.js';\nexport const main = sparkwash;",
    'src/built-in-partners.ts': "import { DEV } from './dev-sandboxes.js';\nexport const partners = DEV;",
    'src/dev-sandboxes.ts':
      "import { sandbox } from '../partners/sparkwash/sandbox-server.js';\nimport { messagingSandbox } from '../messaging/wechat-subscribe/sandbox-server.js';\nexport const DEV = sandbox + messagingSandbox;",
    'partners/sdk/index.ts': "import { errors } from '../../src/platform/errors.js';\nexport const sdk = errors;",
    'partners/sdk/sandbox-kit.ts': 'export const kit = 1;',
    'partners/sparkwash/index.ts': "import { sdk } from '../sdk/index.js';\nimport { config } from '../../src/platform/config.js';\nimport { sandbox } from './sandbox-server.js';\nexport const sparkwash = sdk + config + sandbox;",
    'partners/sparkwash/sandbox-server.ts': "import { kit } from '../sdk/sandbox-kit.js';\nexport const sandbox = kit;",
    'partners/brewbar/index.ts': "import { sparkwash } from '../sparkwash/index.js';\nexport const brewbar = sparkwash;",
    'partners/verifier-kit/index.ts': "import { sdk } from '../sdk/index.js';\nexport const kit = sdk;",
    'src/modules/e/index.ts':
      "import { messagingPort } from '../../../messaging/sdk/index.js';\nimport { wechatSubscribe } from '../../../messaging/wechat-subscribe/index.js';\nexport const e = messagingPort + wechatSubscribe;",
    'src/built-in-messaging.ts': "import { wechatSubscribe } from '../messaging/wechat-subscribe/index.js';\nexport const messaging = wechatSubscribe;\nexport const loadMessagingSandbox = () => import('./dev-sandboxes.js');",
    'messaging/sdk/index.ts': "import { errors } from '../../src/platform/errors.js';\nexport const messagingPort = errors;",
    'messaging/wechat-subscribe/index.ts':
      "import { messagingPort } from '../sdk/index.js';\nimport { sms } from '../sms/index.js';\nimport { port } from '../../payments/sdk/index.js';\nimport { config } from '../../src/platform/config.js';\nimport { messagingSandbox } from './sandbox-server.js';\nexport const wechatSubscribe = messagingPort + sms + port + config + messagingSandbox;",
    'messaging/wechat-subscribe/sandbox-server.ts': "import { messagingPort } from '../sdk/index.js';\nexport const messagingSandbox = messagingPort;",
    'messaging/sms/index.ts': "import { messagingPort } from '../sdk/index.js';\nimport { template } from './template.js';\nexport const sms = messagingPort + template;",
    'messaging/sms/template.ts': "import { sms } from './index.js';\nexport const template = sms;",
    'console/src/main.ts': "import { config } from '../../src/platform/config.js';\nexport const page = config;",
    'src/edge/console-route.ts': "import { page } from '../../console/src/main.js';\nexport const route = page;",
  };

  beforeAll(async () => {
    tree = await fs.mkdtemp(path.join(os.tmpdir(), 'boundaries-'));
    for (const [file, text] of Object.entries(files)) {
      await fs.mkdir(path.dirname(path.join(tree, file)), { recursive: true });
      await fs.writeFile(path.join(tree, file), text);
    }
    const config = createRequire(import.meta.url)(path.join(root, '.dependency-cruiser.cjs')) as IConfiguration;
    const output = await cruise(['src', 'partners', 'payments', 'messaging', 'console'], { ...config.options, ruleSet: { forbidden: config.forbidden ?? [] }, validate: true, baseDir: tree });
    result = output.output as ICruiseResult;
  }, 30_000);

  afterAll(async () => {
    if (tree) await fs.rm(tree, { recursive: true, force: true });
  });

  const violations = (rule: string) =>
    result.summary.violations.filter((v) => v.rule.name === rule).map((v) => (v.cycle?.length ? `cycle at ${v.from}` : `${v.from} → ${v.to}`));

  it.each([
    ['no-circular', 'cycle at src/modules/b/index.ts'],
    ['modules-through-index', 'src/modules/a/internal.ts → src/modules/b/internal.ts'],
    ['outside-modules-through-index', 'src/hosting/subgraph.ts → src/modules/a/internal.ts'],
    ['platform-is-the-bottom', 'src/platform/config.ts → src/edge/gateway.ts'],
    ['modules-below-processes', 'src/modules/a/internal.ts → src/runtime/app.ts'],
    ['composition-is-pure', 'src/composition/supergraph.ts → src/modules/a/index.ts'],
    ['edge-and-hosting-apart', 'src/edge/gateway.ts → src/hosting/subgraph.ts'],
    ['nothing-imports-entry-points', 'src/runtime/app.ts → src/main.ts'],
    ['core-never-names-a-partner', 'src/modules/c/index.ts → partners/sparkwash/index.ts'],
    ['partners-build-on-the-sdk', 'partners/brewbar/index.ts → partners/sparkwash/index.ts'],
    ['partners-build-on-the-sdk', 'partners/sparkwash/index.ts → src/platform/config.ts'],
    ['sdk-stands-alone', 'partners/sdk/index.ts → src/platform/errors.ts'],
    ['verifier-kit-stands-alone', 'partners/verifier-kit/index.ts → partners/sdk/index.ts'],
    ['sandboxes-never-in-production', 'partners/sparkwash/index.ts → partners/sparkwash/sandbox-server.ts'],
    ['dev-sandboxes-loaded-on-demand', 'src/built-in-partners.ts → src/dev-sandboxes.ts'],
    ['core-never-names-a-payment-provider', 'src/modules/d/index.ts → payments/wechatpay/index.ts'],
    ['payment-adapters-build-on-the-sdk', 'payments/wechatpay/index.ts → payments/alipay/index.ts'],
    ['payment-adapters-build-on-the-sdk', 'payments/wechatpay/index.ts → src/platform/config.ts'],
    ['payment-sdk-stands-alone', 'payments/sdk/index.ts → src/platform/errors.ts'],
    ['no-circular', 'cycle at messaging/sms/index.ts'],
    ['core-never-names-a-messaging-provider', 'src/modules/e/index.ts → messaging/wechat-subscribe/index.ts'],
    ['messaging-adapters-build-on-the-sdk', 'messaging/wechat-subscribe/index.ts → messaging/sms/index.ts'],
    ['messaging-adapters-build-on-the-sdk', 'messaging/wechat-subscribe/index.ts → payments/sdk/index.ts'],
    ['messaging-adapters-build-on-the-sdk', 'messaging/wechat-subscribe/index.ts → src/platform/config.ts'],
    ['messaging-sdk-stands-alone', 'messaging/sdk/index.ts → src/platform/errors.ts'],
    ['sandboxes-never-in-production', 'messaging/wechat-subscribe/index.ts → messaging/wechat-subscribe/sandbox-server.ts'],
    ['console-stands-alone', 'console/src/main.ts → src/platform/config.ts'],
    ['nothing-imports-the-console', 'src/edge/console-route.ts → console/src/main.ts'],
  ])('%s catches %s', (rule, expected) => {
    expect(violations(rule)).toContain(expected);
  });

  it('lets through what the rules allow: a module through its index, sandboxes from dev-sandboxes.ts and the sandbox kit, the payment and messaging SDKs', () => {
    const all = result.summary.violations.filter((v) => !v.cycle?.length).map((v) => `${v.from} → ${v.to}`);
    expect(all).not.toContain('src/modules/b/internal.ts → src/modules/c/index.ts');
    expect(all).not.toContain('src/dev-sandboxes.ts → partners/sparkwash/sandbox-server.ts');
    expect(all).not.toContain('partners/sparkwash/sandbox-server.ts → partners/sdk/sandbox-kit.ts');
    expect(all).not.toContain('src/modules/d/index.ts → payments/sdk/index.ts');
    expect(all).not.toContain('src/built-in-payments.ts → payments/wechatpay/index.ts');
    expect(all).not.toContain('payments/alipay/index.ts → payments/sdk/index.ts');
    expect(all).not.toContain('src/modules/e/index.ts → messaging/sdk/index.ts');
    expect(all).not.toContain('src/built-in-messaging.ts → messaging/wechat-subscribe/index.ts');
    expect(all).not.toContain('src/built-in-messaging.ts → src/dev-sandboxes.ts');
    expect(all).not.toContain('messaging/sms/index.ts → messaging/sdk/index.ts');
    expect(all).not.toContain('messaging/wechat-subscribe/sandbox-server.ts → messaging/sdk/index.ts');
    expect(all).not.toContain('src/dev-sandboxes.ts → messaging/wechat-subscribe/sandbox-server.ts');
  });
});
