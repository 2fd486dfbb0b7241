import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { getOperationAST, type ExecutionArgs } from 'graphql';
import type { Metrics } from '../metrics.js';

/** Counts and times every operation the gateway executes, by name, type and outcome (Prometheus). */
export function operationMetrics(metrics: Metrics): GatewayPlugin {
  return {
    onExecute({ args }: { args: ExecutionArgs }) {
      const started = performance.now();
      const operation = getOperationAST(args.document, args.operationName);
      return {
        onExecuteDone({ result }: { result: unknown }) {
          metrics.recordOperation(
            operation?.name?.value ?? args.operationName,
            operation?.operation ?? 'unknown',
            hasErrors(result) ? 'error' : 'ok',
            (performance.now() - started) / 1000,
          );
        },
      };
    },
  };
}

function hasErrors(result: unknown): boolean {
  const errors = (result as { errors?: unknown } | null)?.errors;
  return Array.isArray(errors) && errors.length > 0;
}
