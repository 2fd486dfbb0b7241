// The one-way arrows of docs/architecture.md, checked in CI (`npm run -s check:boundaries`):
//
//   entry points (src/*-main.ts, src/built-in-partners.ts, src/built-in-payments.ts, src/built-in-messaging.ts) ─▶ runtime
//       ─▶ edge · hosting · composition ─▶ modules (through each module's index.ts) ─▶ platform ─▶ partners/sdk
//   partners/<id>/ ─▶ partners/sdk only            partners/verifier-kit/ ─▶ nothing of ours
//   payments/<provider>/ ─▶ payments/sdk only      modules and runtime ─▶ payments/sdk/index.ts only
//   messaging/<provider>/ ─▶ messaging/sdk only    modules and runtime ─▶ messaging/sdk/index.ts only
//
// Tests, benchmarks and scripts may reach further (they are not part of any process's graph),
// except where a rule names them.

/** Files that compose processes and so may name concrete partners, payment and messaging providers. */
const COMPOSITION_ROOTS = [
  '^src/[a-z-]*main\\.ts$',
  '^src/built-in-partners\\.ts$',
  '^src/built-in-payments\\.ts$',
  '^src/built-in-messaging\\.ts$',
  '^src/dev-sandboxes\\.ts$',
];
const NOT_PRODUCTION = ['\\.test\\.ts$', '^test/', '^bench/', '^scripts/', '^partners/testing/', '\\.fixture\\.ts$'];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles (type-only imports included) in src/, partners/, payments/ or messaging/.',
      from: { path: '^(src|partners|payments|messaging)/' },
      to: { circular: true },
    },
    {
      name: 'modules-through-index',
      severity: 'error',
      comment: "A module uses another only through that module's index.ts.",
      from: { path: '^src/modules/([^/]+)/' },
      to: { path: '^src/modules/[^/]+/', pathNot: ['^src/modules/$1/', '^src/modules/[^/]+/index\\.ts$'] },
    },
    {
      name: 'outside-modules-through-index',
      severity: 'error',
      comment: "Outside src/modules/, a module is reached through its index.ts or the module list (src/modules/index.ts), which alone loads module.ts and *.errors.ts.",
      from: { path: '^(src|scripts|bench)/', pathNot: ['^src/modules/'] },
      to: { path: '^src/modules/[^/]+/', pathNot: ['^src/modules/[^/]+/index\\.ts$'] },
    },
    {
      name: 'platform-is-the-bottom',
      severity: 'error',
      comment: 'src/platform/ (config, db, errors, logging, request context) imports nothing of ours but itself and the partner SDK.',
      from: { path: '^src/platform/' },
      to: { path: '^(src|partners)/', pathNot: ['^src/platform/', '^partners/sdk/index\\.ts$'] },
    },
    {
      name: 'modules-below-processes',
      severity: 'error',
      comment: 'Modules know nothing of how processes are put together (edge, hosting, composition, runtime, seed, entry points).',
      from: { path: '^src/modules/' },
      to: { path: ['^src/(edge|hosting|composition|runtime|seed)/', '^src/[^/]+\\.ts$'] },
    },
    {
      name: 'composition-is-pure',
      severity: 'error',
      comment: 'src/composition/ composes SDL; it loads no module, server or process wiring.',
      from: { path: '^src/composition/' },
      to: { path: '^src/(edge|hosting|runtime|modules|seed)/' },
    },
    {
      name: 'edge-and-hosting-apart',
      severity: 'error',
      comment: 'The edge (gateway, public port) and subgraph hosting do not import each other, nor the runtime.',
      from: { path: '^src/(edge|hosting)/' },
      to: { path: ['^src/(edge|hosting)/', '^src/runtime/', '^src/seed/'], pathNot: ['^src/$1/'] },
    },
    {
      name: 'nothing-imports-entry-points',
      severity: 'error',
      comment: 'Entry points and the built-in partner list are composition roots: only they (and tests, scripts, benchmarks) use them.',
      from: { path: '^src/', pathNot: COMPOSITION_ROOTS },
      to: { path: COMPOSITION_ROOTS },
    },
    {
      name: 'core-never-names-a-partner',
      severity: 'error',
      comment:
        'Only composition roots name concrete partners; the core reaches partners through the SDK (partners/sdk/index.ts), and the processes that serve subgraphs through its hosting (partners/sdk/hosting.ts).',
      from: { path: '^src/', pathNot: COMPOSITION_ROOTS },
      to: { path: '^partners/', pathNot: ['^partners/sdk/index\\.ts$', '^partners/sdk/hosting\\.ts$'] },
    },
    {
      name: 'core-never-names-a-payment-provider',
      severity: 'error',
      comment: 'Only composition roots name the payment provider; the core drives it through the payment SDK (payments/sdk/index.ts).',
      from: { path: '^src/', pathNot: COMPOSITION_ROOTS },
      to: { path: '^payments/', pathNot: ['^payments/sdk/index\\.ts$'] },
    },
    {
      name: 'payment-adapters-build-on-the-sdk',
      severity: 'error',
      comment: 'A payment adapter imports its own folder and payments/sdk/index.ts, never src/, a partner, messaging or another provider.',
      from: { path: '^payments/([^/]+)/', pathNot: ['^payments/sdk/', ...NOT_PRODUCTION] },
      to: { path: '^(src|partners|payments|messaging)/', pathNot: ['^payments/$1/', '^payments/sdk/index\\.ts$'] },
    },
    {
      name: 'payment-sdk-stands-alone',
      severity: 'error',
      comment: 'The payment SDK imports nothing of ours outside payments/sdk/.',
      from: { path: '^payments/sdk/', pathNot: NOT_PRODUCTION },
      to: { path: '^(src|partners|payments|messaging)/', pathNot: ['^payments/sdk/'] },
    },
    {
      name: 'core-never-names-a-messaging-provider',
      severity: 'error',
      comment: 'Only composition roots name a messaging provider; the core drives it through the messaging SDK (messaging/sdk/index.ts).',
      from: { path: '^src/', pathNot: COMPOSITION_ROOTS },
      to: { path: '^messaging/', pathNot: ['^messaging/sdk/index\\.ts$'] },
    },
    {
      name: 'messaging-adapters-build-on-the-sdk',
      severity: 'error',
      comment: 'A messaging adapter imports its own folder and messaging/sdk/index.ts, never src/, a partner, payments or another provider.',
      from: { path: '^messaging/([^/]+)/', pathNot: ['^messaging/sdk/', ...NOT_PRODUCTION] },
      to: { path: '^(src|partners|payments|messaging)/', pathNot: ['^messaging/$1/', '^messaging/sdk/index\\.ts$'] },
    },
    {
      name: 'messaging-sdk-stands-alone',
      severity: 'error',
      comment: 'The messaging SDK imports nothing of ours outside messaging/sdk/.',
      from: { path: '^messaging/sdk/', pathNot: NOT_PRODUCTION },
      to: { path: '^(src|partners|payments|messaging)/', pathNot: ['^messaging/sdk/'] },
    },
    {
      name: 'partners-build-on-the-sdk',
      severity: 'error',
      comment: "A partner adapter imports its own folder and partners/sdk/index.ts, never src/ or another partner (its sandbox may also use the SDK's sandbox kit).",
      from: { path: '^partners/([^/]+)/', pathNot: ['^partners/(sdk|testing|verifier-kit)/', ...NOT_PRODUCTION] },
      to: { path: '^(src|partners)/', pathNot: ['^partners/$1/', '^partners/sdk/index\\.ts$', '^partners/sdk/sandbox-kit\\.ts$'] },
    },
    {
      name: 'sdk-stands-alone',
      severity: 'error',
      comment: 'The partner SDK imports nothing of ours outside partners/sdk/.',
      from: { path: '^partners/sdk/', pathNot: NOT_PRODUCTION },
      to: { path: '^(src|partners)/', pathNot: ['^partners/sdk/'] },
    },
    {
      name: 'verifier-kit-stands-alone',
      severity: 'error',
      comment: 'The verifier kit ships to partners: it imports nothing of ours outside its folder.',
      from: { path: '^partners/verifier-kit/' },
      to: { path: '^(src|partners|test|scripts)/', pathNot: ['^partners/verifier-kit/'] },
    },
    {
      name: 'console-stands-alone',
      severity: 'error',
      comment: 'The web console runs in browsers: it imports nothing of ours outside console/ (it reaches the server through /graphql only), and nothing imports it.',
      from: { path: '^console/' },
      to: { path: '^(src|partners|payments|messaging|test|scripts|bench)/' },
    },
    {
      name: 'client-stands-alone',
      severity: 'error',
      comment: 'The typed client (packages/client) is installed by apps: it imports nothing of ours outside its folder; of ours, only the console imports it.',
      from: { path: '^packages/client/' },
      to: { path: '^(src|partners|payments|messaging|test|scripts|bench|console)/' },
    },
    {
      name: 'nothing-imports-the-console',
      severity: 'error',
      comment: 'The console is built by Vite into static files the gateway reads; no process imports its code.',
      from: { path: '^(src|partners|payments|messaging|test|scripts|bench)/' },
      to: { path: '^console/' },
    },
    {
      name: 'sandboxes-never-in-production',
      severity: 'error',
      comment: 'Sandbox files are loaded only in development and tests: only sandboxes, tests and src/dev-sandboxes.ts import them.',
      from: {
        pathNot: ['sandbox-server\\.ts$', '^src/dev-sandboxes\\.ts$', '^src/built-in-partners\\.ts$', '^src/built-in-payments\\.ts$', '^src/built-in-messaging\\.ts$', ...NOT_PRODUCTION],
      },
      to: { path: ['sandbox-server\\.ts$', '^partners/sdk/sandbox-kit\\.ts$', '^src/dev-sandboxes\\.ts$'] },
    },
    {
      name: 'dev-sandboxes-loaded-on-demand',
      severity: 'error',
      comment: 'src/dev-sandboxes.ts is reached only by a dynamic import(), outside production (see loadSandboxes, loadPaymentSandbox).',
      from: { path: '^src/' },
      to: { path: '^src/dev-sandboxes\\.ts$', dependencyTypesNot: ['dynamic-import'] },
    },
  ],
  options: {
    parser: 'swc',
    doNotFollow: { path: 'node_modules' },
    // TypeScript 7's compiler has no JS API for dependency-cruiser: swc parses the sources.
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.d.ts'] },
    exclude: { path: ['^dist/', 'node_modules'] },
  },
};
