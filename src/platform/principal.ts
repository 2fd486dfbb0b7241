/** Who is calling, as established from the bearer credential. */
import type { AppError } from './errors.js';

export type Principal =
  /** No usable credential; `rejected` says why a credential that was sent was refused. */
  | { kind: 'anonymous'; rejected?: AppError }
  | {
      kind: 'member';
      memberId: string;
      issuer: string;
      subject: string;
      /** True when the identity provider gave the caller the admin role. */
      isAdmin: boolean;
    }
  | { kind: 'partner'; partnerId: string; apiKeyId: string }
  /** One of our own channels (app, online shop, store POS, mini-program) reporting members' activities. */
  | { kind: 'channel'; channel: string; apiKeyId: string };

export type PrincipalKind = Principal['kind'] | 'admin';

export const ANONYMOUS: Principal = { kind: 'anonymous' };
