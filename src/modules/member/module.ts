import { defineModule } from '../../platform/module.js';
import { Member } from './member.entity.js';
import { MemberResolver } from './member.resolver.js';

/** Members: who is in the program (keyed by their identity provider), and `me`. */
export const module = defineModule({
  name: 'member',
  entities: [Member],
  resolvers: [MemberResolver],
});
