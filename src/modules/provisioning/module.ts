import type { PartnerProvisioning } from '../../../partners/sdk/index.js';
import { clockOf } from '../../platform/context.js';
import type { Logger } from '../../platform/logger.js';
import { defineModule } from '../../platform/module.js';
import { SYSTEM_AUDIT } from '../audit/index.js';
import { InboundPartnerEvent } from './inbound-partner-event.entity.js';
import { outboxWorker, type OutboxDelivery } from './outbox-worker.js';
import { ProvisioningResolver } from './provisioning.resolver.js';
import { ProvisioningService } from './provisioning.service.js';

declare module '../../platform/context.js' {
  interface AppDependencies {
    logger: Logger;
    /**
     * Provisioning on each partner's side, by partner id: set in processes that run the partner
     * adapters (workers, the all-in-one process, the membership subgraph for admins' reconciliations).
     */
    partnerProvisioning?: ReadonlyMap<string, PartnerProvisioning>;
    /**
     * How this process's workers deliver the outbox (`OUTBOX_BATCH_SIZE`, `OUTBOX_LANES`,
     * `OUTBOX_CONCURRENCY`); absent, one event at a time.
     */
    outboxDelivery?: OutboxDelivery;
  }
  interface Services {
    provisioning: ProvisioningService;
  }
}

/** Provisioning rights at partners: the outbox's delivery, partners' acknowledgements, reconciliation. */
export const module = defineModule({
  name: 'provisioning',
  entities: [InboundPartnerEvent],
  resolvers: [ProvisioningResolver],
  services: {
    provisioning: ({ em, deps }) => new ProvisioningService(em, { targets: deps.partnerProvisioning, logger: deps.logger, ...clockOf(deps) }),
  },
  jobs: [
    {
      name: 'provisioning-outbox',
      everyMs: 1000,
      // Workers and their lanes claim batches with SKIP LOCKED under a lease: several run side by
      // side. A run goes on while anything is due, so a backlog drains without pause.
      run: async ({ orm, deps, signal }) => {
        if (!deps.partnerProvisioning) return undefined;
        return outboxWorker(orm, deps, deps.partnerProvisioning).run(signal ? { signal } : {});
      },
    },
    {
      name: 'partner-reconciliation',
      everyMs: 5 * 60_000,
      // One run per partner at a time across every worker: the run holds a transaction try-lock.
      run: async ({ orm, deps }) => {
        const targets = deps.partnerProvisioning;
        if (!targets) return undefined;
        for (const partnerId of targets.keys()) {
          await orm.em.fork().transactional(async (tx) => {
            const [lock] = await tx.execute<{ locked: boolean }[]>(`select pg_try_advisory_xact_lock(hashtext('partner-reconciliation'), hashtext(?)) as locked`, [partnerId]);
            if (!lock?.locked) return;
            await new ProvisioningService(orm.em.fork(), { targets, logger: deps.logger, ...clockOf(deps) }).reconcile(partnerId, SYSTEM_AUDIT);
          });
        }
        return undefined;
      },
    },
  ],
});
