import { flushCompileCache } from 'node:module';
import { loadConfig, type AppConfig } from '../platform/config.js';
import { createLogger, type Logger } from '../platform/logger.js';
import { Closers } from './closers.js';

/** What a standalone process's start-up is given. */
export interface StandaloneContext {
  config: AppConfig;
  logger: Logger;
  /** Shutdown steps, run on SIGINT/SIGTERM or a failed start. */
  closers: Closers;
}

/**
 * Runs one standalone process (gateway, subgraph, worker): reads the configuration, starts,
 * prints the one line `start` returns (supervisors and the benchmark read where it listens),
 * and on SIGINT/SIGTERM closes what it started, last first. A failed start is logged, undone
 * and exits 1.
 */
export async function runStandalone(name: string, start: (context: StandaloneContext) => Promise<string>): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const closers = new Closers(logger);
  const shutdown = async (signal: string) => {
    logger.info({ signal, process: name }, 'shutting down');
    await closers.closeAll();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  try {
    const started = await start({ config, logger, closers });
    // With Node's compile cache on (NODE_COMPILE_CACHE, as the tests set it), keep what this start compiled now:
    // the cache is otherwise written at exit, never by a process that is killed, and the next start compiles it all again.
    flushCompileCache();
    console.log(started);
  } catch (error) {
    logger.fatal({ err: error, process: name }, 'start-up failed');
    console.error(error instanceof Error ? error.message : error);
    await closers.closeAll();
    process.exit(1);
  }
}
