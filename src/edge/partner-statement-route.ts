import type http from 'node:http';
import { sendJson } from './http-util.js';

/** A partner's download of its settlement statement. */
export interface PartnerStatementRequest {
  format: 'csv' | 'pdf';
  /** The query string's parameters (`from`, `to`). */
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
}

/** A refusal (a coded JSON error), or the statement, written to the response by `write` once the headers are sent. */
export type PartnerStatementAnswer =
  | { status: number; body: unknown }
  | { status: 200; headers: Record<string, string>; write: (out: http.ServerResponse) => Promise<void> };

export type PartnerStatementRoute = (request: PartnerStatementRequest) => Promise<PartnerStatementAnswer>;

/** `/partner/settlement.csv` and `/partner/settlement.pdf` (the format in group 1). */
export const PARTNER_STATEMENT_PATH = /^\/partner\/settlement\.(csv|pdf)$/;

/**
 * `GET /partner/settlement.csv|pdf?from=…&to=…`, on the public port or a worker's own: a
 * statement is computed whole before anything is sent, so a refusal never follows half a file.
 */
export async function servePartnerStatement(req: http.IncomingMessage, res: http.ServerResponse, route: PartnerStatementRoute): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const match = PARTNER_STATEMENT_PATH.exec(url.pathname);
  if (!match) {
    sendJson(res, 404, { error: 'not found' });
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    sendJson(res, 405, { error: 'method not allowed' });
    return;
  }
  // A statement is the partner's alone: never kept by a browser or a proxy.
  res.setHeader('cache-control', 'no-store');
  const answer = await route({ format: match[1] as 'csv' | 'pdf', query: url.searchParams, headers: req.headers });
  if (!('write' in answer)) {
    sendJson(res, answer.status, answer.body);
    return;
  }
  res.statusCode = 200;
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await answer.write(res);
}
