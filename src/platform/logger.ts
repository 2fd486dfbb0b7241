import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Where credentials and secrets sit in what we log: redacted at these paths (one level of
 * nesting, pino's `*`), so a log line never carries a bearer token, an API key, a signature,
 * a secret or an operation's variables.
 */
export const REDACTED_PATHS = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers.cookie',
  'headers["x-api-key"]',
  'headers["x-gateway-signature"]',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["x-api-key"]',
  '*.headers["x-gateway-signature"]',
  'cookie',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'refreshToken',
  '*.refreshToken',
  'bearer',
  '*.bearer',
  'apiKey',
  '*.apiKey',
  'key',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'secrets',
  '*.secrets',
  'webhookSecret',
  'webhookSecrets',
  '*.webhookSecrets',
  'subgraphSecret',
  'pseudonymSecret',
  'signature',
  '*.signature',
  'variables',
  '*.variables',
];

/** The process logger: JSON lines, secrets redacted wherever they appear in a log object. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'coalition-gateway' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}
