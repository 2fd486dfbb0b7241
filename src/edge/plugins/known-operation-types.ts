import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { GraphQLError, type ValidationRule } from 'graphql';

/**
 * Refuses an operation whose root type the schema lacks (a `subscription` here) as a
 * validation error: graphql-js 16 does not check it (v17's KnownOperationTypesRule does), and
 * the query planner then fails without a code ("Schema type 'Subscription' not found").
 */
export function knownOperationTypes(): GatewayPlugin {
  const rule: ValidationRule = (context) => ({
    OperationDefinition(node) {
      const schema = context.getSchema();
      const root = node.operation === 'query' ? schema.getQueryType() : node.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
      if (!root) context.reportError(new GraphQLError(`Schema is not configured to execute ${node.operation} operation.`, { nodes: node }));
    },
  });
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(rule);
    },
  };
}
