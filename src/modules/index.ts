// The module list: every domain of the core, one line each. A module declares what it brings
// (entities, resolvers, references, loaders, services, jobs) in its own module.ts and its
// error codes in its *.errors.ts; the processes compose them from here, loading a module's
// definition only when they need it (the gateway reads the error codes alone).
//
// Order matters only for the printed schema (the order of root fields and types).
import { ErrorCatalog, type ErrorTable } from '../platform/errors.js';
import { ModuleSet, type ModuleEntry } from '../platform/module.js';

export const MODULES: readonly ModuleEntry[] = [
  { name: 'audit', definition: () => import('./audit/module.js') },
  { name: 'plan', definition: () => import('./plan/module.js') },
  { name: 'bundle', definition: () => import('./bundle/module.js') },
  { name: 'partner', definition: () => import('./partner/module.js'), errors: () => import('./partner/partner.errors.js') },
  { name: 'member', definition: () => import('./member/module.js') },
  { name: 'outbox', definition: () => import('./outbox/module.js') },
  { name: 'notification', definition: () => import('./notification/module.js') },
  { name: 'moments', definition: () => import('./moments/module.js') },
  { name: 'membership', definition: () => import('./membership/module.js'), errors: () => import('./membership/membership.errors.js') },
  { name: 'entitlement', definition: () => import('./entitlement/module.js'), errors: () => import('./entitlement/entitlement.errors.js') },
  { name: 'status-list', definition: () => import('./status-list/module.js') },
  { name: 'token', definition: () => import('./token/module.js'), errors: () => import('./token/token.errors.js') },
  { name: 'redemption', definition: () => import('./redemption/module.js'), errors: () => import('./redemption/redemption.errors.js') },
  { name: 'settlement', definition: () => import('./settlement/module.js') },
  { name: 'provisioning', definition: () => import('./provisioning/module.js') },
  { name: 'voucher', definition: () => import('./voucher/module.js'), errors: () => import('./voucher/voucher.errors.js') },
  { name: 'savings', definition: () => import('./savings/module.js') },
  { name: 'privacy', definition: () => import('./privacy/module.js') },
  { name: 'loyalty-program', definition: () => import('./loyalty-program/module.js') },
  { name: 'points', definition: () => import('./points/module.js'), errors: () => import('./points/points.errors.js') },
  { name: 'tier', definition: () => import('./tier/module.js') },
  { name: 'campaign', definition: () => import('./campaign/module.js') },
  { name: 'activity', definition: () => import('./activity/module.js'), errors: () => import('./activity/activity.errors.js') },
  { name: 'segment', definition: () => import('./segment/module.js') },
  { name: 'program-figures', definition: () => import('./program-figures/module.js') },
  { name: 'activity-import', definition: () => import('./activity-import/module.js'), errors: () => import('./activity-import/activity-import.errors.js') },
  { name: 'coalition', definition: () => import('./coalition/module.js') },
  { name: 'reward', definition: () => import('./reward/module.js'), errors: () => import('./reward/reward.errors.js') },
  { name: 'catalog', definition: () => import('./catalog/module.js'), errors: () => import('./catalog/catalog.errors.js') },
  { name: 'test-clock', definition: () => import('./test-clock/module.js'), errors: () => import('./test-clock/test-clock.errors.js') },
  { name: 'support', definition: () => import('./support/module.js') },
  { name: 'viewer', definition: () => import('./viewer/module.js') },
];

let loaded: Promise<ModuleSet> | undefined;

/** Every module's definition, composed (loaded once per process). */
export function loadModules(): Promise<ModuleSet> {
  loaded ??= Promise.all(MODULES.map(async (entry) => (await entry.definition()).module)).then((definitions) => new ModuleSet(definitions));
  return loaded;
}

let catalog: Promise<ErrorCatalog> | undefined;

/** The error codes of the platform and every module: what clients may see of each (loads no module definition). */
export function loadErrorCatalog(): Promise<ErrorCatalog> {
  catalog ??= Promise.all(MODULES.map(async (entry) => (entry.errors ? (await entry.errors()).errorCodes : {}) as ErrorTable)).then((tables) => new ErrorCatalog(tables));
  return catalog;
}
