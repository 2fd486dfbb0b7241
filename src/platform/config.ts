import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { STAFF_ROLE_NAMES, type StaffRole } from './principal.js';

/**
 * Everything the process reads from its environment, validated once at start-up.
 * A bad value throws a plain `Error` that names the variable to fix.
 */
export interface AppConfig {
  nodeEnv: 'development' | 'test' | 'production';
  /** Public port serving the contract. @default 4000 */
  port: number;
  /** Host the public port binds to. @default '0.0.0.0' */
  host: string;
  /** How clients reach the public port; also the token issuer. @default `http://localhost:$PORT` */
  publicUrl: string;
  /** PostgreSQL connection string; absent means the embedded database. */
  databaseUrl: string | undefined;
  /** Where local state lives (embedded database, keys). @default '.data' */
  dataDir: string;
  /** Port of the embedded PostgreSQL. @default 54329 */
  embeddedPgPort: number;
  /** Directory of the Ed25519 signing keys (private keys never leave it). @default `$DATA_DIR/keys` */
  signingKeysDir: string;
  /**
   * Seconds a new signing key is published in the JWKS before it signs (`npm run -s keys -- rotate`);
   * the JWKS cache lifetime is kept well under it. @default 86400
   */
  signingKeyRotationLeadSeconds: number;
  /**
   * AES-256 key (`SIGNING_KEYS_ENCRYPTION_KEY`, base64 of 32 bytes) sealing the private signing
   * keys at rest; absent, key files hold plaintext JWKs (mode 0600).
   */
  signingKeysEncryptionKey: Buffer | undefined;
  /** Secret for per-partner member pseudonyms; read from a file when not set. */
  pseudonymSecret: string | undefined;
  /** File holding the pseudonym secret, created on first start. @default `$DATA_DIR/secrets/pseudonym.key` */
  pseudonymSecretFile: string;
  /**
   * Secret the gateway signs every subgraph request with (`SUBGRAPH_SECRET`, at least 32
   * characters; required in production); subgraphs refuse unsigned requests. Absent, it is
   * read from `subgraphSecretFile`, created on first start.
   */
  subgraphSecret: string | undefined;
  /** File holding the subgraph secret outside production. @default `$DATA_DIR/secrets/subgraph.key` */
  subgraphSecretFile: string;
  /**
   * Key (`AUDIT_HMAC_KEY`, at least 32 characters) every new audit-log row is HMAC-ed under, kept
   * outside the database. Absent, it is read from `auditHmacKeyFile`, except in production, where
   * a process that writes or verifies the audit log refuses to start without it (a gateway needs none).
   */
  auditHmacKey: string | undefined;
  /** File holding the audit key when `AUDIT_HMAC_KEY` is unset, created on first start. @default `$DATA_DIR/secrets/audit.key` */
  auditHmacKeyFile: string;
  /** Earlier audit keys (`AUDIT_HMAC_KEYS_OLD`, comma-separated), kept to verify rows written before a rotation. @default [] */
  auditHmacKeysOld: string[];
  /**
   * Port serving Prometheus `/metrics` (`METRICS_PORT`; 0 picks a free one), apart from the
   * public port. @default 9464 (0 under test)
   */
  metricsPort: number;
  /**
   * `METRICS_PORT` was set: the membership subgraph and the worker, which have no public port,
   * serve `/metrics` on it only then (so they never compete for the default port with a gateway
   * on the same host).
   */
  metricsPortGiven: boolean;
  /** Interface the metrics port binds to (`METRICS_HOST`). @default '127.0.0.1' */
  metricsHost: string;
  /** Lifetime of an entitlement token in seconds. @default 600 */
  tokenTtlSeconds: number;
  /** Lifetime of a membership card token shown at a partner's till (`CARD_TOKEN_TTL_SECONDS`). @default 300 */
  cardTokenTtlSeconds: number;
  /** Entries in each new token status list (`STATUS_LIST_CAPACITY`). @default 1048576 */
  statusListCapacity: number;
  /**
   * The status lists' `ttl` (`STATUS_LIST_TTL_SECONDS`): how long partners may cache one, so the
   * longest a revoked token can still pass an offline check. @default 60
   */
  statusListTtlSeconds: number;
  /** How long after a redemption its partner may still void it, in seconds (0: never). @default 900 */
  redemptionVoidWindowSeconds: number;
  /** Program time zone for periods and member days. @default 'Asia/Shanghai' */
  timeZone: string;
  auth: {
    /** Issuer (`iss`) of member and admin JWTs from the identity provider. */
    issuer: string | undefined;
    /** JWKS URL of the identity provider. */
    jwksUrl: string | undefined;
    /** Expected `aud` of member and admin JWTs. @default 'coalition-gateway' */
    audience: string;
    /** Claim holding the caller's roles (a string or an array). @default 'roles' */
    roleClaim: string;
    /** Role value that makes a caller an admin (`AUTH_ADMIN_ROLE`). @default 'admin' */
    adminRole: string;
    /** Role value of a product manager (`AUTH_PM_ROLE`). @default 'pm' */
    pmRole: string;
    /** Role value of a support agent (`AUTH_SUPPORT_ROLE`). @default 'support' */
    supportRole: string;
    /** Role value of finance (`AUTH_FINANCE_ROLE`). @default 'finance' */
    financeRole: string;
    /** Role value of a read-only analyst (`AUTH_ANALYST_ROLE`). @default 'analyst' */
    analystRole: string;
  };
  /** Per-caller rate limits, counted per window (see src/edge/rate-limit.ts). */
  rateLimit: RateLimitSettings;
  /**
   * Redis holding the rate-limit counters, so every gateway replica counts against the same
   * budget; absent means counters in process memory (one replica's own view).
   */
  redisUrl: string | undefined;
  /**
   * Proxy hops in front of the public port whose `X-Forwarded-For` entries are trusted for
   * the client address of anonymous callers (0: the socket address). @default 0
   */
  trustProxy: number;
  /** Browser origins allowed by CORS. @default localhost origins in development */
  corsOrigins: string[];
  /** Log level for pino. @default 'info' ('warn' under test) */
  logLevel: string;
  /** Safelist of operations (JSON sha256 → document, see `npm run -s operations:manifest`); absent: none. */
  persistedOperationsFile: string | undefined;
  /** Refuse any operation not in the safelist (production clients). @default false */
  persistedOperationsOnly: boolean;
  /** Where `npm run build` put the web console served at /console (its index.html and assets/). @default `dist/console` of this package */
  consoleDir: string;
  /**
   * Largest operation the gateway accepts: `GRAPHQL_MAX_DEPTH`, `GRAPHQL_MAX_ALIASES`,
   * `GRAPHQL_MAX_TOKENS`, `GRAPHQL_MAX_DIRECTIVES`, `GRAPHQL_MAX_COST`.
   * @default { depth: 10, aliases: 15, tokens: 2000, directives: 10, cost: 20000 }
   */
  graphqlLimits: GraphqlLimits;
  /**
   * Each partner's real API, by partner id, from `PARTNER_<ID>_URL`, `_API_KEY`,
   * `_WEBHOOK_SECRETS` and `_CALLBACK_SECRETS` (secrets comma-separated). A partner left out
   * gets its sandbox outside production; production refuses to start without it.
   */
  partnerEndpoints: ReadonlyMap<string, PartnerEndpointConfig>;
  /**
   * The payment provider's settings: every `PAYMENT_<PROVIDER>_…` variable as given (the
   * provider's adapter reads its own, e.g. `PAYMENT_WECHATPAY_URL`). None set: the all-in-one
   * process starts the provider's sandbox outside production; production refuses to start.
   */
  paymentEnv: Readonly<Record<string, string>>;
  /**
   * How long `subscribe` and `payPastDue` wait for the provider to confirm a charge before
   * answering with it still pending (`PAYMENT_CONFIRM_WAIT_MS`; the app then polls, and the
   * membership activates when the notification comes). @default 3000 outside production, 0 in production
   */
  paymentConfirmWaitMs: number;
  /** Test clocks (`createTestClock`, …): on outside production, always off in production. */
  testClocks: boolean;
  /**
   * The messaging provider's settings: every `MESSAGING_…` variable as given (the provider's
   * adapter reads its own, e.g. `MESSAGING_WECHAT_SUBSCRIBE_APP_ID`). None of the adapter's set:
   * the all-in-one process starts its sandbox outside production; production workers refuse to start.
   */
  messagingEnv: Readonly<Record<string, string>>;
  /** How members' moments are turned into messages: quiet hours, the frequency cap, templates (`MESSAGING_*`). */
  moments: MomentsConfig;
  /** Subgraphs the standalone gateway composes (`SUBGRAPHS`, `name=url` pairs); absent: the built-in ones at their standalone ports. */
  subgraphs: Array<{ name: string; url: string }> | undefined;
  /** Interface a standalone subgraph binds (`SUBGRAPH_HOST`). @default '127.0.0.1' */
  subgraphHost: string;
  /** Port of a standalone subgraph (`SUBGRAPH_PORT`; 0 picks one). @default its standard port (4001 membership, 4011… partners) */
  subgraphPort: number | undefined;
  /**
   * Where partners' own registered subgraphs may be: HTTPS only and public addresses only, checked
   * at registration and at every connection. Production always requires both; elsewhere
   * `PARTNER_SUBGRAPH_PUBLIC_ONLY=true` turns both on (loopback subgraphs are allowed by default
   * in development and tests).
   */
  partnerSubgraphs: { requireHttps: boolean; publicOnly: boolean };
  /** Interface the worker's partner-callback port binds (`WORKER_HOST`). @default '0.0.0.0' */
  workerHost: string;
  /** Port of the worker's partner callbacks, health and readiness (`WORKER_PORT`; 0 picks one). @default 4002 */
  workerPort: number;
  /** Bulk imports of activities (`POST /admin/activity-imports`). */
  activityImport: {
    /** Largest upload in bytes (`ACTIVITY_IMPORT_MAX_BYTES`); a larger one is refused with 413 `IMPORT_TOO_LARGE`. @default 52428800 (50 MB) */
    maxBytes: number;
    /** Lanes (groups of members) a worker applies at once (`ACTIVITY_IMPORT_CONCURRENCY`). @default 4 */
    concurrency: number;
  };
  /** How a worker delivers the provisioning outbox to partners. */
  outbox: {
    /** Events claimed by one statement and delivered side by side (`OUTBOX_BATCH_SIZE`). @default 100 */
    batchSize: number;
    /** Batches a worker claims and delivers at once (`OUTBOX_LANES`). @default 2 */
    lanes: number;
    /** Partner calls of one batch in flight at once (`OUTBOX_CONCURRENCY`). @default 32 */
    concurrency: number;
    /** Calls in flight to one partner from one worker process, across its lanes (`OUTBOX_PARTNER_CONCURRENCY`). @default 16 */
    partnerConcurrency: number;
  };
}

/** The role-claim value of each staff role, as configured (`AUTH_ADMIN_ROLE`, `AUTH_PM_ROLE`, …). */
export function staffRoleValues(auth: Pick<AppConfig['auth'], 'adminRole' | 'pmRole' | 'supportRole' | 'financeRole' | 'analystRole'>): Readonly<Record<StaffRole, string>> {
  return { ADMIN: auth.adminRole, PRODUCT_MANAGER: auth.pmRole, SUPPORT: auth.supportRole, FINANCE: auth.financeRole, ANALYST: auth.analystRole };
}

/** A partner's real API as configured (`PARTNER_<ID>_…`). */
export interface PartnerEndpointConfig {
  url: string;
  apiKey: string;
  /** Standard Webhooks secrets we sign what we send this partner with. */
  webhookSecrets: string[];
  /** Secrets this partner signs the events it sends us with. */
  callbackSecrets: string[];
}

/** The moments a member may be sent a message about (the moments module's `MomentKind`). */
export const MOMENT_KINDS = ['JOINED', 'TIER_UP', 'TIER_DOWN', 'POINTS_EARNED', 'POINTS_EXPIRING', 'BENEFIT_ACTIVATED', 'RENEWAL_DUE', 'MEMBER_DAY'] as const;
export type MomentKindName = (typeof MOMENT_KINDS)[number];

/** A daily window in the program time zone, as minutes after local midnight; `start > end` wraps past midnight. */
export interface DailyWindow {
  start: number;
  end: number;
}

/** How moments become messages (see the README's "Moments" section). */
export interface MomentsConfig {
  /** Locale of a member who chose none (`MESSAGING_DEFAULT_LOCALE`). @default 'zh-CN' */
  defaultLocale: 'en' | 'zh-CN';
  /**
   * When nothing is sent, in the program time zone (`MESSAGING_QUIET_HOURS`, `HH:MM-HH:MM`, or
   * `off`): a message due then waits until the window ends. @default 22:00–08:00
   */
  quietHours: DailyWindow | null;
  /** Messages per member per rolling 24 hours, beyond which capped kinds are skipped (`MESSAGING_FREQUENCY_CAP`; 0: no cap). @default 3 */
  frequencyCap: number;
  /** Sends of one message before it is given up as FAILED (`MESSAGING_MAX_ATTEMPTS`). @default 8 */
  maxAttempts: number;
  /**
   * The provider's template id per kind (`MESSAGING_TEMPLATE_<KIND>`). Outside production a kind
   * left unset gets the sandbox's id (`sandbox-<kind>`); in production it has none and its
   * moments are skipped (`NO_TEMPLATE`).
   */
  templates: Readonly<Partial<Record<MomentKindName, string>>>;
  /** Where tapping a message leads, per kind (`MESSAGING_LINK_<KIND>`, a mini-program page); unset: nowhere. */
  links: Readonly<Partial<Record<MomentKindName, string>>>;
  /** Hours after it happened that a moment is no longer worth sending, per kind (`MESSAGING_STALE_HOURS_<KIND>`; 0: never). */
  staleAfterHours: Readonly<Record<MomentKindName, number>>;
}

/** Hours after which a moment is stale, by default: news of points earned is worth little after 3 days; expiry and renewal reminders go stale when their date passes instead. */
export const DEFAULT_STALE_HOURS: Readonly<Record<MomentKindName, number>> = {
  JOINED: 72,
  TIER_UP: 72,
  TIER_DOWN: 72,
  POINTS_EARNED: 72,
  POINTS_EXPIRING: 0,
  BENEFIT_ACTIVATED: 72,
  RENEWAL_DUE: 0,
  MEMBER_DAY: 24,
};

/** The sandbox's template id of a kind (`TIER_UP` → `sandbox-tier-up`), used outside production when none is set. */
export function sandboxTemplateId(kind: MomentKindName): string {
  return `sandbox-${kind.toLowerCase().replace(/_/g, '-')}`;
}

/** Operations allowed per window and per caller; a mutation costs one per root field. */
export interface RateLimitSettings {
  /** Length of a window in seconds. @default 60 */
  windowSeconds: number;
  /** Queries per window per member (admins included). @default 120 */
  memberQueries: number;
  /** Mutations (root fields) per window per member. @default 30 */
  memberMutations: number;
  /** Queries per window per partner API key. @default 600 */
  partnerQueries: number;
  /** Mutations (root fields, e.g. redemptions) per window per partner API key. @default 600 */
  partnerMutations: number;
  /** Operations of any kind per window per anonymous client address. @default 60 */
  anonymous: number;
  /** Prefix of the counters' keys (in Redis: replicas of one deployment share it). @default 'coalition:rl' */
  keyPrefix: string;
}


/**
 * How big an operation the gateway accepts, checked before it is planned, so an
 * operation over a limit never reaches a subgraph. The app's own operations
 * (`operations/*.graphql`) stay far below each default.
 */
export interface GraphqlLimits {
  /** Deepest field nesting; fragments do not add a level. @default 10 */
  depth: number;
  /** Aliased fields (`__typename` aliases are free). @default 15 */
  aliases: number;
  /** Lexical tokens of the document (names, punctuation, literals). @default 2000 */
  tokens: number;
  /** Directive uses (`@include`, `@skip`, …). @default 10 */
  directives: number;
  /**
   * graphql-armor's cost: 1 per scalar, 2 per object, children weighted ×1.5 per level,
   * a literal `first`/`last` multiplying its field. A full page of
   * `partnerRedemptions(first: 200)` with every field costs about 13,600. @default 20000
   */
  cost: number;
}

export const DEFAULT_GRAPHQL_LIMITS: Readonly<GraphqlLimits> = Object.freeze({
  depth: 10,
  aliases: 15,
  tokens: 2000,
  directives: 10,
  cost: 20_000,
});

const budget = z.coerce.number().int().min(1).max(1_000_000_000);

const limit = z.coerce.number().int().min(1).max(1_000_000);

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('0.0.0.0'),
  PUBLIC_URL: z.url().optional(),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  DATA_DIR: z.string().default('.data'),
  EMBEDDED_PG_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
  SIGNING_KEYS_DIR: z.string().optional(),
  SIGNING_KEY_ROTATION_LEAD_SECONDS: z.coerce.number().int().min(0).max(2_592_000).default(86_400),
  SIGNING_KEYS_ENCRYPTION_KEY: z
    .string()
    .refine(isBase64Of32Bytes, 'must be the base64 of 32 random bytes (e.g. `openssl rand -base64 32`)')
    .optional(),
  PSEUDONYM_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  PSEUDONYM_SECRET_FILE: z.string().optional(),
  SUBGRAPH_SECRET: z.string().min(32, 'must be at least 32 characters (e.g. `openssl rand -base64 32`)').optional(),
  AUDIT_HMAC_KEY: z.string().min(32, 'must be at least 32 characters (e.g. `openssl rand -base64 32`)').optional(),
  AUDIT_HMAC_KEYS_OLD: z
    .string()
    .refine((v) => splitList(v).every((k) => k.length >= 32), 'must be comma-separated keys of at least 32 characters each')
    .optional(),
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  METRICS_HOST: z.string().default('127.0.0.1'),
  TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(86_400).default(600),
  CARD_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(86_400).default(300),
  STATUS_LIST_CAPACITY: z.coerce.number().int().min(8).max(2 ** 31 - 1).default(1 << 20),
  STATUS_LIST_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  REDEMPTION_VOID_WINDOW_SECONDS: z.coerce.number().int().min(0).max(604_800).default(900),
  PAYMENT_CONFIRM_WAIT_MS: z.coerce.number().int().min(0).max(30_000).optional(),
  PROGRAM_TIME_ZONE: z.string().default('Asia/Shanghai'),
  AUTH_ISSUER: z.string().optional(),
  AUTH_JWKS_URL: z.url().optional(),
  AUTH_AUDIENCE: z.string().default('coalition-gateway'),
  AUTH_ROLE_CLAIM: z.string().default('roles'),
  AUTH_ADMIN_ROLE: z.string().default(STAFF_ROLE_NAMES.ADMIN),
  AUTH_PM_ROLE: z.string().default(STAFF_ROLE_NAMES.PRODUCT_MANAGER),
  AUTH_SUPPORT_ROLE: z.string().default(STAFF_ROLE_NAMES.SUPPORT),
  AUTH_FINANCE_ROLE: z.string().default(STAFF_ROLE_NAMES.FINANCE),
  AUTH_ANALYST_ROLE: z.string().default(STAFF_ROLE_NAMES.ANALYST),
  CORS_ORIGINS: z.string().optional(),
  RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  RATE_LIMIT_MEMBER_QUERIES: budget.default(120),
  RATE_LIMIT_MEMBER_MUTATIONS: budget.default(30),
  RATE_LIMIT_PARTNER_QUERIES: budget.default(600),
  RATE_LIMIT_PARTNER_MUTATIONS: budget.default(600),
  RATE_LIMIT_ANONYMOUS: budget.default(60),
  RATE_LIMIT_KEY_PREFIX: z.string().regex(/^[\w.:-]{1,100}$/, 'letters, digits and . : - _ only').default('coalition:rl'),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional(),
  TRUST_PROXY: z.string().regex(/^(true|false|\d)$/, 'must be a number of proxy hops (0-9), true (1) or false (0)').default('0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  PERSISTED_OPERATIONS_FILE: z.string().optional(),
  PERSISTED_OPERATIONS_ONLY: z.enum(['true', 'false']).default('false'),
  CONSOLE_DIR: z.string().optional(),
  GRAPHQL_MAX_DEPTH: limit.default(DEFAULT_GRAPHQL_LIMITS.depth),
  GRAPHQL_MAX_ALIASES: limit.default(DEFAULT_GRAPHQL_LIMITS.aliases),
  GRAPHQL_MAX_TOKENS: limit.default(DEFAULT_GRAPHQL_LIMITS.tokens),
  GRAPHQL_MAX_DIRECTIVES: limit.default(DEFAULT_GRAPHQL_LIMITS.directives),
  GRAPHQL_MAX_COST: limit.default(DEFAULT_GRAPHQL_LIMITS.cost),
  SUBGRAPHS: z.string().optional(),
  SUBGRAPH_HOST: z.string().default('127.0.0.1'),
  SUBGRAPH_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  WORKER_HOST: z.string().default('0.0.0.0'),
  PARTNER_SUBGRAPH_PUBLIC_ONLY: z.enum(['true', 'false']).optional(),
  WORKER_PORT: z.coerce.number().int().min(0).max(65535).default(4002),
  MESSAGING_DEFAULT_LOCALE: z.enum(['en', 'zh-CN']).default('zh-CN'),
  MESSAGING_QUIET_HOURS: z
    .string()
    .regex(/^(off|([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d)$/, 'must be HH:MM-HH:MM in the program time zone (e.g. 22:00-08:00), or off')
    .default('22:00-08:00'),
  MESSAGING_FREQUENCY_CAP: z.coerce.number().int().min(0).max(1000).default(3),
  MESSAGING_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(8),
  ACTIVITY_IMPORT_MAX_BYTES: z.coerce.number().int().min(1024).max(1024 ** 3).default(50 * 1024 * 1024),
  ACTIVITY_IMPORT_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(4),
  OUTBOX_BATCH_SIZE: z.coerce.number().int().min(1).max(1000).default(100),
  OUTBOX_LANES: z.coerce.number().int().min(1).max(16).default(2),
  OUTBOX_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(32),
  OUTBOX_PARTNER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
});

/** Per-kind messaging settings (`MESSAGING_TEMPLATE_<KIND>`, `_LINK_`, `_STALE_HOURS_`), parsed beside {@link envSchema}. */
const momentKindSchema = z.object(
  Object.fromEntries(
    MOMENT_KINDS.flatMap((kind) => [
      [`MESSAGING_TEMPLATE_${kind}`, z.string().max(128).optional()],
      [`MESSAGING_LINK_${kind}`, z.string().max(1024).refine((v) => !v.includes('://'), 'must be a mini-program page (pages/…?…), not a web address').optional()],
      [`MESSAGING_STALE_HOURS_${kind}`, z.coerce.number().int().min(0).max(24 * 366).optional()],
    ]),
  ) as Record<string, z.ZodType<string | number | undefined>>,
);

const PARTNER_VARIABLE = /^PARTNER_([A-Z0-9_]+)_(URL|API_KEY|WEBHOOK_SECRETS|CALLBACK_SECRETS)$/;

/** Reads and validates the configuration from `env` (the process environment by default). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = envSchema.safeParse(stripEmpty(env));
  const perKind = momentKindSchema.safeParse(stripEmpty(env));
  if (!parsed.success || !perKind.success) {
    const issues = [...(parsed.error?.issues ?? []), ...(perKind.error?.issues ?? [])];
    const problems = issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration, set these environment variables:\n${problems.join('\n')}`);
  }
  const e = parsed.data;
  const kindSetting = <T extends string | number>(name: string): T | undefined => perKind.data[name] as T | undefined;
  if ((e.AUTH_ISSUER === undefined) !== (e.AUTH_JWKS_URL === undefined)) {
    throw new Error('Invalid configuration: set AUTH_ISSUER and AUTH_JWKS_URL together (or neither)');
  }
  if (e.PERSISTED_OPERATIONS_ONLY === 'true' && !e.PERSISTED_OPERATIONS_FILE) {
    throw new Error('Invalid configuration: PERSISTED_OPERATIONS_ONLY=true needs PERSISTED_OPERATIONS_FILE (npm run -s operations:manifest writes one)');
  }
  if (e.NODE_ENV === 'production' && !e.AUTH_ISSUER) {
    throw new Error('Invalid configuration: production needs AUTH_ISSUER and AUTH_JWKS_URL (the dev issuer is never trusted there)');
  }
  if (e.NODE_ENV === 'production' && e.PARTNER_SUBGRAPH_PUBLIC_ONLY === 'false') {
    throw new Error('Invalid configuration: PARTNER_SUBGRAPH_PUBLIC_ONLY=false is refused in production (partners\' subgraphs are third parties: https and public addresses only)');
  }
  if (e.CARD_TOKEN_TTL_SECONDS > e.TOKEN_TTL_SECONDS) {
    // Retired signing keys stay published for TOKEN_TTL_SECONDS: a card living longer would outlive its key.
    throw new Error(`Invalid configuration: CARD_TOKEN_TTL_SECONDS (${e.CARD_TOKEN_TTL_SECONDS}) must not exceed TOKEN_TTL_SECONDS (${e.TOKEN_TTL_SECONDS})`);
  }
  if (e.NODE_ENV === 'production' && !e.SUBGRAPH_SECRET) {
    throw new Error('Invalid configuration: production needs SUBGRAPH_SECRET (the gateway signs subgraph requests with it; e.g. `openssl rand -base64 32`, the same in the gateway and every subgraph)');
  }
  const roleVariables = ['AUTH_ADMIN_ROLE', 'AUTH_PM_ROLE', 'AUTH_SUPPORT_ROLE', 'AUTH_FINANCE_ROLE', 'AUTH_ANALYST_ROLE'] as const;
  for (const [i, name] of roleVariables.entries()) {
    // One claim value for two roles would hand one role's rights to the other.
    const same = roleVariables.slice(i + 1).find((other) => e[other] === e[name]);
    if (same) throw new Error(`Invalid configuration: ${name} and ${same} are both "${e[name]}"; give each staff role its own value`);
  }
  try {
    new Intl.DateTimeFormat('en', { timeZone: e.PROGRAM_TIME_ZONE });
  } catch {
    throw new Error(`Invalid configuration: PROGRAM_TIME_ZONE "${e.PROGRAM_TIME_ZONE}" is not an IANA time zone`);
  }
  const dataDir = path.resolve(e.DATA_DIR);
  const partnerEndpoints = partnerEndpointsOf(stripEmpty(env));
  const subgraphs = e.SUBGRAPHS?.split(',').map((entry) => {
    const [name, url] = entry.split('=').map((s) => s.trim());
    if (!name || !url) throw new Error(`Invalid configuration: SUBGRAPHS expects name=url pairs, got "${entry}"`);
    return { name, url };
  });
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  const corsOrigins = e.CORS_ORIGINS
    ? e.CORS_ORIGINS.split(',').map((s) => s.trim()).filter(Boolean)
    : e.NODE_ENV === 'production'
      ? []
      : [`http://localhost:${e.PORT}`, 'http://localhost:3000', 'http://localhost:5173', 'http://127.0.0.1:5173'];
  return {
    nodeEnv: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    publicUrl,
    databaseUrl: e.DATABASE_URL,
    dataDir,
    embeddedPgPort: e.EMBEDDED_PG_PORT,
    signingKeysDir: path.resolve(e.SIGNING_KEYS_DIR ?? path.join(dataDir, 'keys')),
    signingKeyRotationLeadSeconds: e.SIGNING_KEY_ROTATION_LEAD_SECONDS,
    signingKeysEncryptionKey: e.SIGNING_KEYS_ENCRYPTION_KEY ? Buffer.from(e.SIGNING_KEYS_ENCRYPTION_KEY, 'base64') : undefined,
    pseudonymSecret: e.PSEUDONYM_SECRET,
    pseudonymSecretFile: path.resolve(e.PSEUDONYM_SECRET_FILE ?? path.join(dataDir, 'secrets', 'pseudonym.key')),
    subgraphSecret: e.SUBGRAPH_SECRET,
    subgraphSecretFile: path.join(dataDir, 'secrets', 'subgraph.key'),
    auditHmacKey: e.AUDIT_HMAC_KEY,
    auditHmacKeyFile: path.join(dataDir, 'secrets', 'audit.key'),
    auditHmacKeysOld: splitList(e.AUDIT_HMAC_KEYS_OLD ?? ''),
    metricsPort: e.METRICS_PORT ?? (e.NODE_ENV === 'test' ? 0 : 9464),
    metricsPortGiven: e.METRICS_PORT !== undefined,
    metricsHost: e.METRICS_HOST,
    tokenTtlSeconds: e.TOKEN_TTL_SECONDS,
    cardTokenTtlSeconds: e.CARD_TOKEN_TTL_SECONDS,
    statusListCapacity: e.STATUS_LIST_CAPACITY,
    statusListTtlSeconds: e.STATUS_LIST_TTL_SECONDS,
    redemptionVoidWindowSeconds: e.REDEMPTION_VOID_WINDOW_SECONDS,
    timeZone: e.PROGRAM_TIME_ZONE,
    auth: {
      issuer: e.AUTH_ISSUER,
      jwksUrl: e.AUTH_JWKS_URL,
      audience: e.AUTH_AUDIENCE,
      roleClaim: e.AUTH_ROLE_CLAIM,
      adminRole: e.AUTH_ADMIN_ROLE,
      pmRole: e.AUTH_PM_ROLE,
      supportRole: e.AUTH_SUPPORT_ROLE,
      financeRole: e.AUTH_FINANCE_ROLE,
      analystRole: e.AUTH_ANALYST_ROLE,
    },
    rateLimit: {
      windowSeconds: e.RATE_LIMIT_WINDOW_SECONDS,
      memberQueries: e.RATE_LIMIT_MEMBER_QUERIES,
      memberMutations: e.RATE_LIMIT_MEMBER_MUTATIONS,
      partnerQueries: e.RATE_LIMIT_PARTNER_QUERIES,
      partnerMutations: e.RATE_LIMIT_PARTNER_MUTATIONS,
      anonymous: e.RATE_LIMIT_ANONYMOUS,
      keyPrefix: e.RATE_LIMIT_KEY_PREFIX,
    },
    redisUrl: e.REDIS_URL,
    trustProxy: e.TRUST_PROXY === 'true' ? 1 : e.TRUST_PROXY === 'false' ? 0 : Number(e.TRUST_PROXY),
    corsOrigins,
    logLevel: e.LOG_LEVEL ?? (e.NODE_ENV === 'test' ? 'warn' : 'info'),
    persistedOperationsFile: e.PERSISTED_OPERATIONS_FILE,
    persistedOperationsOnly: e.PERSISTED_OPERATIONS_ONLY === 'true',
    consoleDir: e.CONSOLE_DIR ?? builtConsoleDir(),
    graphqlLimits: {
      depth: e.GRAPHQL_MAX_DEPTH,
      aliases: e.GRAPHQL_MAX_ALIASES,
      tokens: e.GRAPHQL_MAX_TOKENS,
      directives: e.GRAPHQL_MAX_DIRECTIVES,
      cost: e.GRAPHQL_MAX_COST,
    },
    partnerEndpoints,
    paymentEnv: Object.fromEntries(Object.entries(stripEmpty(env)).filter(([name]) => name.startsWith('PAYMENT_'))),
    messagingEnv: Object.fromEntries(Object.entries(stripEmpty(env)).filter(([name]) => name.startsWith('MESSAGING_'))),
    moments: {
      defaultLocale: e.MESSAGING_DEFAULT_LOCALE,
      quietHours: dailyWindow(e.MESSAGING_QUIET_HOURS),
      frequencyCap: e.MESSAGING_FREQUENCY_CAP,
      maxAttempts: e.MESSAGING_MAX_ATTEMPTS,
      templates: Object.fromEntries(
        MOMENT_KINDS.flatMap((kind) => {
          const id = kindSetting<string>(`MESSAGING_TEMPLATE_${kind}`) ?? (e.NODE_ENV === 'production' ? undefined : sandboxTemplateId(kind));
          return id ? [[kind, id]] : [];
        }),
      ),
      links: Object.fromEntries(MOMENT_KINDS.flatMap((kind) => {
        const link = kindSetting<string>(`MESSAGING_LINK_${kind}`);
        return link ? [[kind, link]] : [];
      })),
      staleAfterHours: Object.fromEntries(MOMENT_KINDS.map((kind) => [kind, kindSetting<number>(`MESSAGING_STALE_HOURS_${kind}`) ?? DEFAULT_STALE_HOURS[kind]])) as Record<MomentKindName, number>,
    },
    testClocks: e.NODE_ENV !== 'production',
    paymentConfirmWaitMs: e.PAYMENT_CONFIRM_WAIT_MS ?? (e.NODE_ENV === 'production' ? 0 : 3000),
    subgraphs,
    subgraphHost: e.SUBGRAPH_HOST,
    subgraphPort: e.SUBGRAPH_PORT,
    partnerSubgraphs: {
      requireHttps: e.NODE_ENV === 'production' || e.PARTNER_SUBGRAPH_PUBLIC_ONLY === 'true',
      publicOnly: e.NODE_ENV === 'production' || e.PARTNER_SUBGRAPH_PUBLIC_ONLY === 'true',
    },
    workerHost: e.WORKER_HOST,
    workerPort: e.WORKER_PORT,
    activityImport: { maxBytes: e.ACTIVITY_IMPORT_MAX_BYTES, concurrency: e.ACTIVITY_IMPORT_CONCURRENCY },
    outbox: { batchSize: e.OUTBOX_BATCH_SIZE, lanes: e.OUTBOX_LANES, concurrency: e.OUTBOX_CONCURRENCY, partnerConcurrency: e.OUTBOX_PARTNER_CONCURRENCY },
  };
}

/** `PARTNER_<ID>_URL` and friends, by partner id (`PARTNER_SPARKWASH_URL` → `sparkwash`). */
function partnerEndpointsOf(env: Record<string, string>): Map<string, PartnerEndpointConfig> {
  const found = new Map<string, Partial<Record<'URL' | 'API_KEY' | 'WEBHOOK_SECRETS' | 'CALLBACK_SECRETS', string>>>();
  for (const [name, value] of Object.entries(env)) {
    const match = PARTNER_VARIABLE.exec(name);
    if (!match) continue;
    const id = match[1]!.toLowerCase().replace(/_/g, '-');
    found.set(id, { ...found.get(id), [match[2]!]: value });
  }
  const list = (value: string | undefined) => (value ?? '').split(',').map((v) => v.trim()).filter(Boolean);
  const endpoints = new Map<string, PartnerEndpointConfig>();
  for (const [id, vars] of found) {
    if (!vars.URL && !vars.API_KEY) continue;
    const prefix = `PARTNER_${id.toUpperCase().replace(/-/g, '_')}`;
    if (!vars.URL || !vars.API_KEY) throw new Error(`Invalid configuration: set ${prefix}_URL and ${prefix}_API_KEY together`);
    endpoints.set(id, { url: vars.URL, apiKey: vars.API_KEY, webhookSecrets: list(vars.WEBHOOK_SECRETS), callbackSecrets: list(vars.CALLBACK_SECRETS) });
  }
  return endpoints;
}

/** `22:00-08:00` → minutes after midnight; `off`, or the same start and end, → no window. */
function dailyWindow(text: string): DailyWindow | null {
  if (text === 'off') return null;
  const [start, end] = text.split('-').map((hhmm) => {
    const [h, m] = hhmm.split(':').map(Number);
    return h! * 60 + m!;
  });
  return start === end ? null : { start: start!, end: end! };
}

function isBase64Of32Bytes(value: string): boolean {
  // Buffer.from skips characters outside the alphabet; re-encoding catches a mistyped key.
  const bytes = Buffer.from(value, 'base64');
  return bytes.length === 32 && bytes.toString('base64') === value.replace(/=+$/, '').padEnd(44, '=');
}

function splitList(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

function stripEmpty(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') out[k] = v;
  return out;
}

/** `dist/console` of this package, whether this file runs from `src/` (tests) or `dist/src/`. */
function builtConsoleDir(): string {
  const above = fileURLToPath(new URL('../../', import.meta.url));
  return path.basename(above) === 'dist' ? path.join(above, 'console') : path.join(above, 'dist', 'console');
}
