import { defineModule } from '../../platform/module.js';
import { lotDueWork } from './lot-due-work.js';
import { PointsAccount, PointsJournal, PointsLot, PointsTransfer } from './points.entity.js';
import { MemberPointsResolver, PointsAccountResolver, PointsLiabilityResolver } from './points.resolver.js';
import { PointsService } from './points.service.js';

declare module '../../platform/context.js' {
  interface Services {
    points: PointsService;
  }
}

/** Coalition points: a double-entry, append-only ledger of lots with their own expiry, reminders of what expiring points buy. */
export const module = defineModule({
  name: 'points',
  entities: [PointsAccount, PointsJournal, PointsTransfer, PointsLot],
  resolvers: [MemberPointsResolver, PointsAccountResolver, PointsLiabilityResolver],
  services: { points: ({ em, deps }) => new PointsService(em, deps) },
  // Claims under SKIP LOCKED with a lease, each member's lots under their ledger lock: safe with several workers.
  dueWork: [lotDueWork],
});
