import type { EntityManager } from '@mikro-orm/postgresql';
import { PaymentNotificationError, type PaymentProvider } from '../../../payments/sdk/index.js';
import type { Logger } from '../../platform/logger.js';
import { isUuid } from '../../platform/loader.js';
import type { MembershipLifecycle, StoredNotification } from './lifecycle.js';

/** What the provider gets back: 2xx means "received, stop sending". */
export interface NotificationAnswer {
  status: number;
  body: unknown;
}

/** Notifications applied at once by one process, the rest waiting their turn (the database's connections are few). */
const APPLYING_AT_ONCE = 8;
const waiting: Array<() => Promise<void>> = [];
const inFlight = new Set<Promise<void>>();

function applySoon(task: () => Promise<void>): void {
  waiting.push(task);
  pump();
}

function pump(): void {
  while (inFlight.size < APPLYING_AT_ONCE && waiting.length > 0) {
    const running: Promise<void> = waiting
      .shift()!()
      .catch(() => undefined)
      .finally(() => {
        inFlight.delete(running);
        pump();
      });
    inFlight.add(running);
  }
}

/** Waits until the notifications this process received are applied (or failed, to be applied by workers later): at shutdown, and in tests. */
export async function paymentNotificationsApplied(): Promise<void> {
  while (inFlight.size > 0 || waiting.length > 0) await Promise.allSettled([...inFlight]);
}

/**
 * A provider's asynchronous notification (`POST /payments/{provider}/notify`), an inbox: verified
 * by the provider's adapter (signature, timestamp, decryption) and stored once, answered 200 at
 * once (providers give receivers seconds, and retry), then applied to its charge in the
 * background. A forged, altered or stale notification is refused (401) and stored nowhere; the
 * same notification delivered again is the same row, answered 200, applied once. One this
 * process fails to apply (it stopped, the database hiccuped) is applied by the workers' due work.
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
  const unknown = () => {
    // Signed by the provider but about no charge of ours: nothing to apply, and no reason to hear it again.
    logger?.warn({ provider: providerName, notificationId: notification.notificationId, paymentId: notification.paymentId }, 'payment notification about an unknown charge');
    return { status: 200, body: { code: 'SUCCESS', message: 'unknown charge; ignored' } };
  };
  if (!isUuid(notification.paymentId)) return unknown();
  // Stored once, in one statement, and only about a charge of ours (with the charge's member).
  const [stored] = await em.execute<{ id: string; known: boolean }[]>(
    `with charge as (select member_id from payment where id = ?::uuid),
     stored as (
       insert into payment_notification (id, provider, notification_id, payment_id, member_id, outcome, provider_reference, failure_reason)
       select gen_random_uuid(), ?, ?, ?::uuid, charge.member_id, ?, ?, ? from charge
       on conflict (provider, notification_id, member_id) do nothing
       returning id)
     select (select id from stored) as id, exists (select 1 from charge) as known`,
    [
      notification.paymentId,
      providerName,
      notification.notificationId,
      notification.paymentId,
      notification.outcome,
      notification.providerReference ?? null,
      notification.failureReason ?? null,
    ],
  );
  if (!stored?.known) return unknown();
  if (stored.id) {
    const record = { id: stored.id, paymentId: notification.paymentId, outcome: notification.outcome, providerReference: notification.providerReference ?? null, failureReason: notification.failureReason ?? null };
    applySoon(() => applyPaymentNotification(lifecycle, record, logger));
  }
  return { status: 200, body: { code: 'SUCCESS', message: 'OK' } };
}

/** Applies one stored notification to its charge (once: a settled charge is never settled again). */
export async function applyPaymentNotification(lifecycle: MembershipLifecycle, record: StoredNotification, logger?: Logger): Promise<void> {
  try {
    await lifecycle.applyNotification(record.id, record);
  } catch (error) {
    logger?.warn({ err: error, notification: record.id }, 'payment notification not applied; the workers apply it later');
    throw error;
  }
}
