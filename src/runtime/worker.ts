import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ACTIVITY_IMPORTS_PATH, serveActivityImports, type ActivityImportRoute } from '../edge/activity-import-route.js';
import { sendJson } from '../edge/http-util.js';
import { servePartnerEvent, type PartnerEventsRoute } from '../edge/partner-events-route.js';
import { PAYMENT_NOTIFY_PATH, servePaymentNotification, type PaymentNotifyRoute } from '../edge/payment-notify-route.js';
import { PARTNER_STATEMENT_PATH, servePartnerStatement, type PartnerStatementRoute } from '../edge/partner-statement-route.js';
import { paymentNotificationsApplied } from '../modules/membership/index.js';
import { outboxWorker, PartnerEventReceiver, type OutboxWorker } from '../modules/provisioning/index.js';
import type { AppConfig } from '../platform/config.js';
import { JobScheduler } from '../platform/jobs.js';
import type { Logger } from '../platform/logger.js';
import { activityImportRoute } from './activity-imports.js';
import { partnerStatementRoute } from './partner-statements.js';
import type { Closers } from './closers.js';
import type { Core } from './core.js';
import type { ConnectedPartners } from './partners.js';

/** The work of a worker process, whatever else the process does. */
export interface RunningWork {
  /** Delivers provisioning events (its job runs it; tests drive it directly). */
  outbox: OutboxWorker;
  /** Partners' signed events (`POST /partners/{id}/events`). */
  partnerEvents: PartnerEventsRoute;
  /** The payment provider's signed notifications (`POST /payments/{provider}/notify`). */
  paymentNotifications: PaymentNotifyRoute;
  /** Runs what is due for members on real time now (its job does it every few seconds; tests drive it directly). */
  runDue(): Promise<number>;
  /** Admins' bulk imports of activities (`POST /admin/activity-imports`, `GET …/{id}`). */
  activityImports: ActivityImportRoute;
  /** Partners' settlement statements as files (`GET /partner/settlement.csv`, `.pdf`). */
  partnerStatements: PartnerStatementRoute;
}

/** Seconds between two looks for due work (renewals, retries, reminders, months of rights) of members on real time. */
const DUE_WORK_EVERY_MS = 5_000;

/**
 * What workers do: the modules' jobs on their schedules (outbox delivery, reconciliation, …)
 * and their due work (renewals, retries, reminders, months of rights: every few seconds, for
 * members on real time), each safe with several workers running; and the receivers of
 * partners' signed callbacks and the payment provider's notifications. `jobs: false` leaves
 * the schedules off (tests drive them).
 */
export function startWork(
  core: Core,
  partners: ConnectedPartners,
  options: { logger: Logger; jobs?: boolean; /** Largest activity import (`ACTIVITY_IMPORT_MAX_BYTES`). */ activityImportMaxBytes: number },
  closers: Closers,
): RunningWork {
  const { orm, deps } = core;
  const outbox = outboxWorker(orm, deps, partners.provisioning);
  const receiver = new PartnerEventReceiver(orm, partners.callbackSecrets, options.logger);
  const runDue = () => deps.dueWork!.runDue(null, deps.now?.() ?? new Date());
  // Notifications received here are applied in the background: let them finish before the database closes.
  closers.push(() => paymentNotificationsApplied(), 'payment notifications');
  if (options.jobs ?? true) {
    const scheduler = new JobScheduler(options.logger);
    for (const job of core.modules.jobs()) {
      scheduler.start({
        name: job.name,
        everyMs: job.everyMs,
        run: (signal) => job.run({ orm, deps, logger: options.logger, now: deps.now?.() ?? new Date(), signal }),
      });
    }
    // Due work of members on real time (members on test clocks run when their clock is advanced).
    scheduler.start({ name: 'due-work', everyMs: DUE_WORK_EVERY_MS, run: () => runDue() });
    closers.push(() => scheduler.stop(), 'jobs');
  }
  return {
    outbox,
    partnerEvents: (partnerId, body, headers) => receiver.receive(partnerId, body, headers),
    paymentNotifications: (provider, body, headers) =>
      core.modules.createServices(orm.em.fork(), deps).memberships.receivePaymentNotification(provider, headers, body),
    runDue,
    activityImports: activityImportRoute(core, { maxBytes: options.activityImportMaxBytes, logger: options.logger }),
    partnerStatements: partnerStatementRoute(core, { logger: options.logger }),
  };
}

/**
 * A worker process's own port (`WORKER_PORT`): partners' signed callbacks on
 * `POST /partners/{id}/events` and the payment provider's notifications on
 * `POST /payments/{provider}/notify`, admins' activity imports on `/admin/activity-imports` and
 * partners' statements on `/partner/settlement.csv|pdf` (route them here from the public
 * address), `/healthz` and `/readyz`. Nothing else.
 */
export async function startWorkerPort(
  config: AppConfig,
  work: RunningWork,
  readiness: () => Promise<string[]>,
  closers: Closers,
): Promise<{ url: string }> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, body: unknown) => sendJson(res, status, body);
    const handled =
      path === '/healthz'
        ? Promise.resolve(reply(200, { status: 'ok' }))
        : path === '/readyz'
          ? readiness().then((problems) => reply(problems.length ? 503 : 200, problems.length ? { status: 'unavailable', problems } : { status: 'ready' }))
          : PAYMENT_NOTIFY_PATH.test(path)
            ? servePaymentNotification(req, res, work.paymentNotifications)
            : ACTIVITY_IMPORTS_PATH.test(path)
              ? serveActivityImports(req, res, work.activityImports)
              : PARTNER_STATEMENT_PATH.test(path)
                ? servePartnerStatement(req, res, work.partnerStatements)
                : servePartnerEvent(req, res, work.partnerEvents);
    handled.catch(() => {
      if (!res.headersSent) reply(500, { error: 'internal server error' });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.workerPort, config.workerHost, () => resolve());
  });
  closers.pushFirst(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    'worker port',
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
