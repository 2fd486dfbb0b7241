import type http from 'node:http';

/** Answers with a JSON body. */
export function sendJson(res: http.ServerResponse, status: number, body: unknown, contentType = 'application/json'): void {
  res.statusCode = status;
  res.setHeader('content-type', `${contentType}; charset=utf-8`);
  res.end(JSON.stringify(body));
}

/** The request body, or null once it grows past `limit` bytes (the rest is not read). */
export async function readRawBody(req: http.IncomingMessage, limit: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
