import { defineModule } from '../../platform/module.js';
import { ViewerResolver } from './viewer.resolver.js';

/** `viewer`: who the caller is and what the web console may offer them (the capability table the guards use). */
export const module = defineModule({
  name: 'viewer',
  resolvers: [ViewerResolver],
});
