// autocannon `setupRequest` (worker mode): each request gets the next item's credential and body.
import { loadSpec } from './spec.cjs';

const spec = loadSpec();
let next = spec.mode === 'cycle' ? Math.floor(Math.random() * spec.items.length) : 0;

interface RawRequest {
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export = function setupRequest(request: RawRequest): RawRequest {
  const item = spec.items[next % spec.items.length]!;
  next++;
  // No credential at all for an anonymous item (an empty Authorization header is a refused one).
  request.headers = { ...request.headers, ...item.headers, ...(item.authorization ? { authorization: item.authorization } : {}) };
  request.body = item.body;
  return request;
};
