import { clockOf } from '../../platform/context.js';
import { defineModule } from '../../platform/module.js';
import { PrivacyResolver } from './privacy.resolver.js';
import { PrivacyService } from './privacy.service.js';

declare module '../../platform/context.js' {
  interface Services {
    privacy: PrivacyService;
  }
}

/** Members' data rights: export everything about them, erase them. */
export const module = defineModule({
  name: 'privacy',
  resolvers: [PrivacyResolver],
  services: {
    privacy: ({ em, deps }) => new PrivacyService(em, { pseudonyms: deps.pseudonyms, provisionedPartners: deps.provisionedPartners, ...clockOf(deps) }),
  },
});
