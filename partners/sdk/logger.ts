/**
 * The logging the SDK's subgraph hosting needs: a structural subset of pino's `Logger`, so
 * an adapter passes its own pino logger (or anything shaped like it).
 */
export interface SubgraphLogger {
  child(bindings: Record<string, unknown>): SubgraphLogger;
  isLevelEnabled(level: string): boolean;
  debug(object: Record<string, unknown>, message: string): void;
  warn(object: Record<string, unknown>, message: string): void;
  error(object: Record<string, unknown>, message: string): void;
}
