// One autocannon run in a worker thread (the app keeps the main thread; on 2 cores the
// load generator must not share its event loop), with every response checked.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

export interface LoadItem {
  /** The Authorization header; none when empty. */
  authorization: string;
  body: string;
  /** Headers of this request alone (e.g. its own x-request-id). */
  headers?: Record<string, string>;
}

export interface LoadRun {
  url: string;
  seconds: number;
  connections: number;
  items: LoadItem[];
  /** 'cycle': round-robin over items; 'once': each item at most once (the run stops when they are used up). */
  mode: 'cycle' | 'once';
  /** Substring every good response body contains. */
  expect: string;
  headers?: Record<string, string>;
  /** A steady rate, requests per second over all connections (absent: as fast as the target answers). */
  rate?: number;
}

export interface BadResponse {
  kind: 'http' | 'graphql' | 'connection';
  status?: number;
  body?: string;
}

export interface LoadResult {
  /** Completed responses. */
  requests: number;
  /** Requests sent, those still in flight when the run ended included (each still runs on the server). */
  sent: number;
  durationSeconds: number;
  /** Completed responses per second. */
  rps: number;
  latencyMs: { p50: number; p90: number; p99: number; mean: number; max: number };
  non2xx: number;
  graphqlErrors: number;
  connectionErrors: number;
  timeouts: number;
  /** A few bad responses, verbatim (truncated). */
  samples: BadResponse[];
  /** 'once' mode ran out of items before the time was up. */
  exhausted: boolean;
}

const hook = (name: string) => fileURLToPath(new URL(`./hooks/${name}.cjs`, import.meta.url));

export async function runLoad(run: LoadRun): Promise<LoadResult> {
  const channelName = `bench-${randomBytes(6).toString('hex')}`;
  const specFile = path.join(os.tmpdir(), `${channelName}.json`);
  await fs.writeFile(specFile, JSON.stringify({ channel: channelName, mode: run.mode, expect: run.expect, items: run.items }));
  const removeAtExit = () => rmSync(specFile, { force: true });
  process.on('exit', removeAtExit);

  const samples: BadResponse[] = [];
  let graphqlErrors = 0;
  let httpErrorsSeen = 0;
  const channel = new BroadcastChannel(channelName);
  channel.onmessage = (event: MessageEvent) => {
    const bad = event.data as BadResponse;
    if (bad.kind === 'graphql') graphqlErrors++;
    else httpErrorsSeen++;
    if (samples.length < 5) samples.push(bad);
  };

  // Worker threads copy the environment when they start: the hooks find their spec here.
  process.env.BENCH_SPEC = specFile;
  try {
    const result = await new Promise<autocannon.Result>((resolve, reject) => {
      autocannon(
        {
          url: run.url,
          method: 'POST',
          workers: 1,
          connections: run.connections,
          duration: run.seconds,
          timeout: 30,
          headers: { 'content-type': 'application/json', accept: 'application/json', ...run.headers },
          requests: [{ method: 'POST', setupRequest: hook('setup-request'), onResponse: hook('on-response') }],
          ...(run.mode === 'once' ? { maxOverallRequests: run.items.length } : {}),
          ...(run.rate ? { overallRate: run.rate } : {}),
        },
        (error, res) => (error ? reject(error) : resolve(res)),
      );
    });
    // Let the last reports from the worker arrive.
    await new Promise((r) => setTimeout(r, 200));
    const requests = result.requests.total;
    const used = result.requests.sent;
    return {
      requests,
      sent: used,
      durationSeconds: result.duration,
      rps: result.duration > 0 ? requests / result.duration : 0,
      latencyMs: {
        p50: result.latency.p50,
        p90: result.latency.p90,
        p99: result.latency.p99,
        mean: result.latency.mean,
        max: result.latency.max,
      },
      non2xx: Math.max(result.non2xx, httpErrorsSeen),
      graphqlErrors,
      connectionErrors: result.errors,
      timeouts: result.timeouts,
      samples:
        samples.length || !result.errors
          ? samples
          : [{ kind: 'connection', body: `${result.errors} connection errors, ${result.timeouts} timeouts` }],
      exhausted: run.mode === 'once' && used >= run.items.length,
    };
  } finally {
    channel.close();
    delete process.env.BENCH_SPEC;
    process.off('exit', removeAtExit);
    await fs.rm(specFile, { force: true });
  }
}
