import type http from 'node:http';
import { sendJson } from './http-util.js';

/** A request to the activity imports: an admin's upload (`POST`), or one import's progress (`GET …/{id}`; admins and analysts). */
export interface ActivityImportRequest {
  method: 'POST' | 'GET';
  /** The import of `GET /admin/activity-imports/{id}`; null for the collection. */
  id: string | null;
  headers: http.IncomingHttpHeaders;
  /** The request body, streamed (the route limits its size). */
  body: AsyncIterable<Uint8Array>;
}

/** What an activity import request gets back. */
export type ActivityImportRoute = (request: ActivityImportRequest) => Promise<{ status: number; body: unknown; headers?: Record<string, string> }>;

/** `/admin/activity-imports` and `/admin/activity-imports/{id}` (the id in group 1). */
export const ACTIVITY_IMPORTS_PATH = /^\/admin\/activity-imports(?:\/([A-Za-z0-9-]{1,64}))?$/;

/**
 * `POST /admin/activity-imports` (an NDJSON or CSV upload, streamed to the route) and
 * `GET /admin/activity-imports/{id}` (its progress), on the public port or a worker's own.
 */
export async function serveActivityImports(req: http.IncomingMessage, res: http.ServerResponse, route: ActivityImportRoute): Promise<void> {
  const match = ACTIVITY_IMPORTS_PATH.exec((req.url ?? '').split('?')[0] ?? '');
  if (!match) {
    sendJson(res, 404, { error: 'not found' });
    return;
  }
  const id = match[1] ?? null;
  const allowed = id === null ? 'POST' : 'GET, HEAD';
  if (id === null ? req.method !== 'POST' : req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', allowed);
    sendJson(res, 405, { error: 'method not allowed' });
    return;
  }
  // Stopping early (a refusal, a body over the limit) must not destroy the request: that would
  // reset the connection before the answer is written.
  const body = req.iterator({ destroyOnReturn: false });
  const answer = await route({ method: id === null ? 'POST' : 'GET', id, headers: req.headers, body });
  for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
  if (!req.complete) discardRest(req);
  sendJson(res, answer.status, answer.body);
}

/** How much of a refused upload is read and dropped before the connection is cut. */
const MAX_DISCARDED_BYTES = 256 * 1024 * 1024;
const MAX_DISCARD_MS = 60_000;

/**
 * Refused before the whole upload was read: the rest is read and dropped, so that the client,
 * still sending, gets to read the answer (closing the connection under it would make its next
 * write fail and lose the answer); a client that sends too much more, or for too long, is cut off.
 */
function discardRest(req: http.IncomingMessage): void {
  let discarded = 0;
  const cut = () => req.socket.destroy();
  const timer = setTimeout(cut, MAX_DISCARD_MS);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > MAX_DISCARDED_BYTES) cut();
  });
  req.once('end', () => clearTimeout(timer));
  req.once('close', () => clearTimeout(timer));
}
