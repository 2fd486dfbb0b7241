import { defineModule } from '../../platform/module.js';
import { OutboxEvent } from './outbox-event.entity.js';

declare module '../../platform/context.js' {
  interface AppDependencies {
    /** Partners with a provisioning adapter: their rights are announced through the outbox. */
    provisionedPartners: readonly string[];
  }
}

/** The transactional outbox of provisioning events (its delivery runs in src/modules/provisioning). */
export const module = defineModule({
  name: 'outbox',
  entities: [OutboxEvent],
});
