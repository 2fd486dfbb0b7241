import { AppError, defineErrors, type ErrorCodesOf } from '../../platform/errors.js';

/** The partner module's error codes (see ErrorSpec). */
export const errorCodes = defineErrors({
  API_KEY_LIMIT_REACHED: {
    http: 200,
    extensions: ['limit'],
    meaning:
      'The partner has `extensions.limit` keys in service already (keys being rotated out do not count): revoke one first, or rotate it. No key was created.',
  },
  API_KEY_NOT_ROTATABLE: {
    http: 200,
    extensions: ['apiKeyId', 'reason', 'successorId'],
    meaning:
      'The key cannot be rotated (`extensions.reason`: `REVOKED`, `EXPIRED` it stopped working, `ROTATED` it has a successor already, named by `extensions.successorId`); nothing changed.',
  },
  LAST_ACTIVE_API_KEY: {
    http: 200,
    extensions: ['apiKeyId'],
    meaning:
      'Revoking this key would leave the partner no key in service, locking its tills and portal out: rotate it (`overlapSeconds: 0` ends it at once) or create another key first. Nothing changed.',
  },
});

declare module '../../platform/errors.js' {
  interface ErrorCodeRegistry extends ErrorCodesOf<typeof errorCodes> {}
}

export type NotRotatableReason = 'REVOKED' | 'EXPIRED' | 'ROTATED';

export class PartnerKeyError extends AppError {
  static limitReached(limit: number): PartnerKeyError {
    return new PartnerKeyError(
      'API_KEY_LIMIT_REACHED',
      `You have ${limit} API keys in service, the most a partner may hold: revoke one you no longer use, or rotate it, first.`,
      { limit },
    );
  }

  static notRotatable(apiKeyId: string, reason: NotRotatableReason, successorId?: string | null): PartnerKeyError {
    const why = { REVOKED: 'it was revoked', EXPIRED: 'it has stopped working', ROTATED: 'it was rotated already' }[reason];
    return new PartnerKeyError('API_KEY_NOT_ROTATABLE', `API key ${apiKeyId} cannot be rotated: ${why}; nothing changed.`, {
      apiKeyId,
      reason,
      ...(successorId ? { successorId } : {}),
    });
  }

  static lastActiveKey(apiKeyId: string): PartnerKeyError {
    return new PartnerKeyError(
      'LAST_ACTIVE_API_KEY',
      `API key ${apiKeyId} is your last key in service: revoking it would lock your tills out. Rotate it (overlapSeconds: 0 ends it at once) or create another key first; nothing changed.`,
      { apiKeyId },
    );
  }
}
