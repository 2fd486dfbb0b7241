import pino, { type Logger } from 'pino';

export type { Logger };

/** The process logger: JSON lines, secrets redacted wherever they appear in a log object. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'coalition-gateway' },
    redact: {
      paths: ['authorization', 'headers.authorization', 'token', '*.token', 'apiKey', '*.apiKey', 'key', 'secret'],
      censor: '[redacted]',
    },
  });
}
