import type http from 'node:http';
import { readRawBody, sendJson } from './http-util.js';

/** What a partner's signed event gets back. */
export type PartnerEventsRoute = (partnerId: string, rawBody: string, headers: http.IncomingHttpHeaders) => Promise<{ status: number; body: unknown }>;

/** `/partners/{id}/events`, the partner id in group 1. */
export const PARTNER_EVENTS_PATH = /^\/partners\/([a-z0-9][a-z0-9-]{0,62})\/events$/;
const MAX_EVENT_BYTES = 64 * 1024;

/** `POST /partners/{id}/events`: a partner's signed event (on the public port, or a worker's own). */
export async function servePartnerEvent(req: http.IncomingMessage, res: http.ServerResponse, receive: PartnerEventsRoute): Promise<void> {
  const match = PARTNER_EVENTS_PATH.exec((req.url ?? '').split('?')[0] ?? '');
  if (!match) {
    sendJson(res, 404, { error: 'not found' });
    return;
  }
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    sendJson(res, 405, { error: 'method not allowed' });
    return;
  }
  const raw = await readRawBody(req, MAX_EVENT_BYTES);
  const body = raw === null ? null : raw.toString('utf8');
  if (body === null) {
    sendJson(res, 413, { error: 'payload too large' });
    return;
  }
  const answer = await receive(match[1]!, body, req.headers);
  sendJson(res, answer.status, answer.body);
}


