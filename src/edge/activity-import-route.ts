import type http from 'node:http';
import { sendJson } from './http-util.js';

/** An admin's request to the activity imports: an upload (`POST`) or one import's progress (`GET …/{id}`). */
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
  const answer = await route({ method: id === null ? 'POST' : 'GET', id, headers: req.headers, body: req });
  for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
  // Refused before the whole upload was read: the rest is not read, the connection not reused.
  if (!req.complete) res.setHeader('connection', 'close');
  sendJson(res, answer.status, answer.body);
}
