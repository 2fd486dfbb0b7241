import type http from 'node:http';
import { readRawBody, sendJson } from './http-util.js';

/** What a payment provider's signed notification gets back. */
export type PaymentNotifyRoute = (
  provider: string,
  rawBody: string,
  headers: Readonly<Record<string, string | undefined>>,
) => Promise<{ status: number; body: unknown }>;

/** `/payments/{provider}/notify`, the provider name in group 1. */
export const PAYMENT_NOTIFY_PATH = /^\/payments\/([a-z0-9][a-z0-9-]{0,62})\/notify$/;
const MAX_NOTIFICATION_BYTES = 64 * 1024;

/** `POST /payments/{provider}/notify`: a payment provider's signed notification (on the public port, or a worker's own). */
export async function servePaymentNotification(req: http.IncomingMessage, res: http.ServerResponse, receive: PaymentNotifyRoute): Promise<void> {
  const match = PAYMENT_NOTIFY_PATH.exec((req.url ?? '').split('?')[0] ?? '');
  if (!match) {
    sendJson(res, 404, { error: 'not found' });
    return;
  }
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    sendJson(res, 405, { error: 'method not allowed' });
    return;
  }
  const raw = await readRawBody(req, MAX_NOTIFICATION_BYTES);
  if (raw === null) {
    sendJson(res, 413, { code: 'FAIL', message: 'payload too large' });
    return;
  }
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  const answer = await receive(match[1]!, raw.toString('utf8'), headers);
  sendJson(res, answer.status, answer.body);
}
