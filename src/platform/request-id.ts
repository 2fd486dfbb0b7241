import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

const current = new AsyncLocalStorage<string>();

/**
 * Runs `work` on behalf of `requestId`: the gateway's `x-request-id` for a subgraph request,
 * `job:<name>:<id>` for a job run. Work it queues (outbox events) records the id, so the
 * logs of a job that delivers it later name the request that caused it.
 */
export function withRequestId<T>(requestId: string, work: () => T): T {
  return current.run(requestId, work);
}

/** The id of the request or job run this code works for; null outside any. */
export function currentRequestId(): string | null {
  return current.getStore() ?? null;
}

/** A fresh id for one run of a job. */
export function jobRunId(job: string): string {
  return `job:${job}:${randomUUID().slice(0, 8)}`;
}

/** The caller's request id (`x-request-id`) when it is a sane one, or a fresh one. */
export function requestIdOf(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && /^[\w.:-]{1,128}$/.test(value) ? value : randomUUID();
}
