// Minimal types for the parts of autocannon@9 the benchmark uses (the package ships none).
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  interface Histogram {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    total: number;
    p50: number;
    p90: number;
    p97_5: number;
    p99: number;
    p99_9: number;
    [key: string]: number;
  }

  namespace autocannon {
    interface Request {
      method?: string;
      path?: string;
      headers?: Record<string, string>;
      body?: string | Buffer;
      /** A function, or (with `workers`) the absolute path of a module exporting one. */
      setupRequest?: string | ((request: Request, context: Record<string, unknown>) => Request | null | undefined);
      onResponse?: string | ((status: number, body: string, context: Record<string, unknown>, headers: Record<string, string>) => void);
    }
    interface Options {
      url: string;
      connections?: number;
      duration?: number;
      workers?: number;
      timeout?: number;
      method?: string;
      headers?: Record<string, string>;
      body?: string;
      requests?: Request[];
      maxOverallRequests?: number;
      /** Requests per second over all connections (a steady rate instead of as fast as possible). */
      overallRate?: number;
      title?: string;
    }
    interface Result {
      title?: string;
      url: string;
      duration: number;
      errors: number;
      timeouts: number;
      mismatches: number;
      non2xx: number;
      resets: number;
      statusCodeStats: Record<string, { count: number }>;
      latency: Histogram;
      requests: Histogram & { sent: number };
      throughput: Histogram;
    }
    interface Instance extends EventEmitter {
      stop(): void;
    }
  }

  function autocannon(options: autocannon.Options, callback: (error: Error | null, result: autocannon.Result) => void): autocannon.Instance;
  export = autocannon;
}
