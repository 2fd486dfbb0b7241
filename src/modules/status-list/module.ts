import { defineModule } from '../../platform/module.js';
import { StatusList } from './status-list.entity.js';

/**
 * Token status lists (IETF Token Status List): each partner's lists, the random entry every
 * new token takes, and the signed lists served at /.well-known/status-lists. A token's own
 * status is the token module's (issued_token.status, flipped by the database).
 */
export const module = defineModule({
  name: 'status-list',
  entities: [StatusList],
});
