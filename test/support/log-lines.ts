import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/platform/logger.js';

/** A debug logger whose JSON lines land in `lines`, parsed (tests read what a process logged). */
export function capturedLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger('debug', sink), lines };
}
