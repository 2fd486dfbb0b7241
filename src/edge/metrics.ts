import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { sqlStatementsSent } from '../platform/db/sql-statements.js';

/**
 * The heap in use right after the last major (mark-compact) collection, in bytes: what the
 * process keeps alive, without the garbage between collections that makes heap-used and RSS
 * saw-tooth. A leak shows as this figure climbing. Watched from the first Metrics of a process.
 */
let heapAfterMajorGc: number | undefined;
let watchingGc = false;
function watchMajorGc(): void {
  if (watchingGc) return;
  watchingGc = true;
  new PerformanceObserver((list) => {
    if (list.getEntries().some((e) => (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)) {
      heapAfterMajorGc = v8.getHeapStatistics().used_heap_size;
    }
  }).observe({ entryTypes: ['gc'] });
}

const MAX_OPERATION_NAMES = 200;

/** The Prometheus registry of one process and the instruments the server records. */
export class Metrics {
  readonly registry = new Registry();
  private readonly operations = new Set<string>();

  readonly graphqlDuration = new Histogram({
    name: 'graphql_operation_duration_seconds',
    help: 'GraphQL operations through the gateway, by operation name, type and outcome',
    labelNames: ['operation', 'type', 'outcome'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly graphqlRequests = new Counter({
    name: 'graphql_operations_total',
    help: 'GraphQL operations through the gateway, by operation name, type and outcome',
    labelNames: ['operation', 'type', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly fastLane = new Counter({
    name: 'graphql_fast_lane_operations_total',
    help: 'GraphQL operations the gateway answered in its fast lane (one fetch relayed, or answered from the operation alone) rather than through the runtime',
    registers: [this.registry],
  });

  readonly httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests on the public port, by route and status',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    watchMajorGc();
    new Gauge({
      name: 'nodejs_heap_used_after_major_gc_bytes',
      help: 'Heap in use right after the last major garbage collection (what the process keeps alive); absent before the first',
      registers: [this.registry],
      collect() {
        if (heapAfterMajorGc !== undefined) this.set(heapAfterMajorGc);
      },
    });
    let reported = 0;
    new Counter({
      name: 'db_statements_total',
      help: 'SQL statements this process sent to PostgreSQL (queries, BEGIN, COMMIT, ROLLBACK, savepoints)',
      registers: [this.registry],
      collect() {
        const sent = sqlStatementsSent();
        this.inc(sent - reported);
        reported = sent;
      },
    });
  }

  /** Operation names come from clients: keep the label set bounded. */
  operationLabel(name: string | null | undefined): string {
    if (!name) return 'anonymous';
    if (this.operations.has(name)) return name;
    if (this.operations.size >= MAX_OPERATION_NAMES || !/^[_A-Za-z][_0-9A-Za-z]{0,99}$/.test(name)) return 'other';
    this.operations.add(name);
    return name;
  }

  recordOperation(name: string | null | undefined, type: string, outcome: 'ok' | 'error', seconds: number): void {
    const labels = { operation: this.operationLabel(name), type, outcome };
    this.graphqlDuration.observe(labels, seconds);
    this.graphqlRequests.inc(labels);
  }
}

/** The metrics port, apart from the public one. */
export interface RunningMetricsServer {
  /** Its `/metrics` URL, e.g. `http://127.0.0.1:9464/metrics`. */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` (Prometheus text) on a port of its own, on loopback by default:
 * scrapers reach it inside the deployment, the public port never serves it (docs/decisions.md).
 */
export async function startMetricsServer(metrics: Metrics, listen: { host: string; port: number }): Promise<RunningMetricsServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found; metrics are at GET /metrics\n');
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
