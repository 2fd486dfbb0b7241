// The benchmark's child processes (production shape: each subgraph and each gateway its own
// Node process): started on the compiled dist files with the bench's own Node binary, ready
// when they print their "listening on <url>" line, stopped with SIGTERM then SIGKILL.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Child {
  name: string;
  pid: number;
  /** The URL from its "listening on <url>" line. */
  url: string;
  /** CPU seconds (user + system, all threads) the process has used so far. */
  cpuSeconds(): number;
  /** Its resident set size now, in bytes (0 once it exited). */
  rssBytes(): number;
  /** Its exit, if it exited (a crash during the run makes the bench fail). */
  exited(): string | undefined;
  /** The last lines it wrote, for error reports. */
  tail(): string[];
  stop(): Promise<void>;
}

/** A dist file next to this one's compiled location (dist/bench/…). */
export const distFile = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

const TAIL_LINES = 40;
const running = new Set<ChildProcess>();

// Last resort: whatever the bench's way out, no child outlives it.
process.on('exit', () => {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/**
 * SIGTERM to every running child at once, without waiting (a signal to the bench: the
 * embedded PostgreSQL's exit hook may end this process before an orderly cleanup does).
 */
export function terminateAll(): void {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
}

export async function startChild(options: {
  name: string;
  script: string;
  args?: string[];
  env: NodeJS.ProcessEnv;
  /** Matches the ready line; group 1 is the URL. */
  ready: RegExp;
  timeoutMs?: number;
}): Promise<Child> {
  // BENCH_CHILD_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`): profile the children.
  const nodeArgs = (process.env.BENCH_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, options.script, ...(options.args ?? [])], {
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const lines: string[] = [];
  let exit: string | undefined;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = signal ? `killed by ${signal}` : `exited with code ${code}`;
      running.delete(child);
      resolve();
    });
  });

  const url = await new Promise<string>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const timer = setTimeout(
      () => settle(() => reject(new Error(`${options.name}: no "listening" line within ${options.timeoutMs ?? 30_000} ms\n${lines.join('\n')}`))),
      options.timeoutMs ?? 30_000,
    );
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        lines.push(line);
        if (lines.length > TAIL_LINES) lines.shift();
        const match = options.ready.exec(line);
        if (match?.[1]) settle(() => resolve(match[1]!));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (error) => settle(() => reject(error)));
    void exitedPromise.then(() =>
      settle(() => reject(new Error(`${options.name} ${exit} before it was ready:\n${lines.join('\n')}`))),
    );
  }).catch(async (error: unknown) => {
    await stopProcess(child, exitedPromise);
    throw error;
  });

  const pid = child.pid!;
  return {
    name: options.name,
    pid,
    url,
    cpuSeconds: () => processCpuSeconds(pid),
    rssBytes: () => (exit ? 0 : processRssBytes(pid)),
    exited: () => exit,
    tail: () => [...lines],
    stop: () => stopProcess(child, exitedPromise),
  };
}

/**
 * The serving processes as production runs them, from the build: the membership and sparkwash
 * subgraphs and our gateway over them, and with `worker` a worker (it takes the payment provider's
 * confirmations); each pushed onto `children` as it starts, for the caller to stop.
 */
export async function startServingProcesses(
  env: NodeJS.ProcessEnv,
  children: Child[],
  options: {
    worker?: boolean;
    timeoutMs?: number;
    /** A free port for each process's Prometheus `/metrics` (METRICS_PORT); its URL lands in `metricsUrls` by name. */
    metricsPort?: () => Promise<number>;
    metricsUrls?: Map<string, string>;
  } = {},
): Promise<{ membership: Child; sparkwash: Child; gateway: Child }> {
  const start = async (name: string, script: string, args: string[], childEnv: NodeJS.ProcessEnv, ready: RegExp) => {
    if (options.metricsPort) {
      const port = await options.metricsPort();
      childEnv = { ...childEnv, METRICS_HOST: '127.0.0.1', METRICS_PORT: String(port) };
      options.metricsUrls?.set(name, `http://127.0.0.1:${port}/metrics`);
    }
    const child = await startChild({ name, script, args, env: childEnv, ready, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
    children.push(child);
    return child;
  };
  const subgraphReady = /^subgraph \S+ listening on (\S+)/;
  const membership = await start('membership', distFile('../src/subgraph-main.js'), ['membership'], env, subgraphReady);
  const sparkwash = await start('sparkwash', distFile('../src/subgraph-main.js'), ['sparkwash'], env, subgraphReady);
  const gateway = await start('gateway', distFile('../src/gateway-main.js'), [], { ...env, SUBGRAPHS: `membership=${membership.url},sparkwash=${sparkwash.url}` }, /^gateway listening on (\S+)/);
  if (options.worker) await start('worker', distFile('../src/worker-main.js'), [], env, /^worker listening on (\S+)/);
  return { membership, sparkwash, gateway };
}

async function stopProcess(child: ChildProcess, exited: Promise<void>, graceMs = process.env.BENCH_CHILD_NODE_ARGS ? 30_000 : 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
  if ((await Promise.race([exited.then(() => 'exited' as const), timer])) === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}

/** VmRSS from /proc/<pid>/status, in bytes. */
export function processRssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}

let ticksPerSecond: number | undefined;

/** utime + stime from /proc/<pid>/stat (every thread of the process), in seconds. */
export function processCpuSeconds(pid: number): number {
  ticksPerSecond ??= clockTicks();
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after "(comm)": state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

function clockTicks(): number {
  try {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(value) && value > 0 ? value : 100;
  } catch {
    return 100;
  }
}

/** Busy CPU seconds of the whole machine so far (all CPUs; /proc/stat minus idle and iowait). */
/**
 * Waits until the machine is quiet (under `cores` busy over a second), e.g. after seeding whose
 * consequences the worker is still applying, for at most `maxSeconds`; returns the seconds waited.
 */
export async function waitUntilQuiet(cores = 0.3, maxSeconds = 120): Promise<number> {
  const started = Date.now();
  for (;;) {
    const before = machineBusySeconds();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    if (machineBusySeconds() - before < cores || Date.now() - started > maxSeconds * 1000) return (Date.now() - started) / 1000;
  }
}

export function machineBusySeconds(): number {
  ticksPerSecond ??= clockTicks();
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  // cpu user nice system idle iowait irq softirq steal (guest time is already in user).
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) / ticksPerSecond;
}

/**
 * Runs a bench's `main` as its whole process: what it pushed onto `cleanups` is undone, last
 * first, when it ends, fails or is interrupted (SIGINT, SIGTERM: children terminated first);
 * exits 0, or 1 after printing the error.
 */
export async function runBenchMain(cleanups: Array<() => Promise<void>>, main: () => Promise<void>): Promise<never> {
  const cleanup = async () => {
    while (cleanups.length) await cleanups.pop()!().catch((error: unknown) => console.error(`cleanup failed: ${String(error)}`));
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      terminateAll();
      void cleanup().finally(() => process.exit(130));
    });
  }
  let code = 0;
  try {
    await main();
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    code = 1;
  } finally {
    await cleanup();
  }
  process.exit(code);
}
