import type { EntityManager } from '@mikro-orm/postgresql';
import { PaymentNotificationError, type PaymentProvider } from '../../../payments/sdk/index.js';
import type { Logger } from '../../platform/logger.js';
import { isUuid } from '../../platform/loader.js';
import type { MembershipLifecycle } from './lifecycle.js';
import { Payment } from './membership.entity.js';

/** What the provider gets back: 2xx means "applied, stop sending". */
export interface NotificationAnswer {
  status: number;
  body: unknown;
}

/**
 * A provider's asynchronous notification (`POST /payments/{provider}/notify`): verified by the
 * provider's adapter (signature, timestamp, decryption), then applied to its charge once. A
 * forged, altered or stale notification is refused (401) and changes nothing; the same
 * notification delivered again (the provider's retries, a replay within its tolerance) is
 * answered 200 and changes nothing either, since a settled charge is never settled again. Every
 * notification applied is recorded with its id.
 */
export async function receivePaymentNotification(
  options: { em: EntityManager; lifecycle: MembershipLifecycle; payments: PaymentProvider; logger?: Logger },
  providerName: string,
  headers: Readonly<Record<string, string | undefined>>,
  rawBody: string,
): Promise<NotificationAnswer> {
  const { em, lifecycle, payments, logger } = options;
  if (providerName !== payments.name) return { status: 404, body: { code: 'NOT_FOUND', message: `no payment provider ${providerName}` } };
  let notification;
  try {
    notification = await payments.parseNotification(headers, rawBody);
  } catch (error) {
    if (error instanceof PaymentNotificationError) {
      logger?.warn({ provider: providerName, reason: error.reason }, 'payment notification refused');
      return { status: 401, body: { code: 'FAIL', message: error.reason } };
    }
    throw error;
  }
  if (!isUuid(notification.paymentId) || !(await em.count(Payment, { id: notification.paymentId }))) {
    // Signed by the provider but about no charge of ours: nothing to apply, and no reason to hear it again.
    logger?.warn({ provider: providerName, notificationId: notification.notificationId, paymentId: notification.paymentId }, 'payment notification about an unknown charge');
    return { status: 200, body: { code: 'SUCCESS', message: 'unknown charge; ignored' } };
  }
  await lifecycle.settle(notification.paymentId, notification, { provider: providerName, notificationId: notification.notificationId });
  return { status: 200, body: { code: 'SUCCESS', message: 'OK' } };
}
