// autocannon `onResponse` (worker mode): reports every non-2xx response and every 2xx
// response carrying GraphQL errors (or missing the expected data) to the main thread.
import { loadSpec } from './spec.cjs';

const spec = loadSpec();
const channel = new BroadcastChannel(spec.channel);
(channel as unknown as { unref?: () => void }).unref?.();

export = function onResponse(status: number, body: string): void {
  if (status < 200 || status > 299) {
    channel.postMessage({ kind: 'http', status, body: String(body).slice(0, 500) });
  } else if (body.includes('"errors"') || !body.includes(spec.expect)) {
    channel.postMessage({ kind: 'graphql', status, body: String(body).slice(0, 500) });
  }
};
