import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import {
  type ArgumentNode,
  getDirectiveValues,
  getOperationAST,
  getVariableValues,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  valueFromASTUntyped,
  visit,
} from 'graphql';
import { AppError, type InputProblem } from '../../platform/errors.js';

/**
 * What can be answered from the operation and its variables alone, before the query planner
 * sees them:
 * - variables that do not coerce: their errors, as execution would report them (the planner
 *   runs first and would fail on what the variables were meant to decide);
 * - a string argument holding U+0000 or a lone surrogate: BAD_USER_INPUT. PostgreSQL text
 *   cannot store NUL, and a lone surrogate has no UTF-8 form (the driver turns it into U+FFFD,
 *   jsonb refuses it): no such value is ever valid, and refusing it here keeps it from every
 *   service;
 * - root fields all skipped (`@skip`/`@include`), or only `__typename`: the data. Hive
 *   Router's planner fails on an empty root selection ("Failed to build a plan", a 500) and
 *   the runtime drops `data` from an empty plan's result (`{}`), where GraphQL says
 *   `{ "data": {} }`.
 */
export function answerBeforePlanning(): GatewayPlugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const operation = getOperationAST(args.document, args.operationName);
      if (!operation) return;
      const answer = answerFromOperation(args.schema, args.document, operation, args.variableValues as Record<string, unknown> | undefined);
      if (answer.result) setResultAndStopExecution(answer.result);
    },
  };
}

/**
 * What {@link answerBeforePlanning} answers for an operation and its variables (`result`), or
 * nothing when it goes on to the planner; with the coerced variables when they coerce.
 */
export function answerFromOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
): { result?: { data?: Record<string, unknown>; errors?: readonly GraphQLError[] }; variables?: Record<string, unknown> } {
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {});
  if (coerced.errors) return { result: { errors: coerced.errors } };
  const unstorable = unstorableText(document, coerced.coerced);
  if (unstorable.length > 0) return { result: { errors: [AppError.badInput(unstorable)] } };
  const keys = rootResponseKeys(document, operation, coerced.coerced);
  if (!keys || [...keys.values()].some((field) => field !== '__typename')) return { variables: coerced.coerced };
  const rootType = operation.operation === 'mutation' ? schema.getMutationType() : operation.operation === 'subscription' ? schema.getSubscriptionType() : schema.getQueryType();
  if (!rootType) return { variables: coerced.coerced };
  return { result: { data: Object.fromEntries([...keys.keys()].map((key) => [key, rootType.name])) }, variables: coerced.coerced };
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Arguments of the document whose value (variables resolved) holds text no database column can. */
function unstorableText(document: DocumentNode, variables: Record<string, unknown>): InputProblem[] {
  const problems: InputProblem[] = [];
  for (const node of argumentsOf(document)) {
    const texts = strings(valueFromASTUntyped(node.value, variables));
    if (texts.some((t) => t.includes('\u0000'))) problems.push({ field: node.name.value, message: 'must not contain the NUL character (U+0000)' });
    if (texts.some((t) => LONE_SURROGATE.test(t))) problems.push({ field: node.name.value, message: 'must be well-formed Unicode (a lone surrogate is not)' });
  }
  return problems;
}

/** A document's arguments in document order, found once per document (the runtime reuses parsed documents). */
const argumentsByDocument = new WeakMap<DocumentNode, ArgumentNode[]>();
function argumentsOf(document: DocumentNode): ArgumentNode[] {
  let found = argumentsByDocument.get(document);
  if (!found) {
    const list: ArgumentNode[] = [];
    visit(document, { Argument: (node) => void list.push(node) });
    argumentsByDocument.set(document, list);
    found = list;
  }
  return found;
}

/**
 * Every string inside `value` (lists and input objects walked), without recursion: a client may
 * send variables nested tens of thousands of levels deep, which a recursive walk would answer
 * with a stack overflow.
 */
function strings(value: unknown): string[] {
  const found: string[] = [];
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next === 'string') found.push(next);
    else if (Array.isArray(next)) pending.push(...next);
    else if (next !== null && typeof next === 'object') pending.push(...Object.values(next));
  }
  return found;
}

/** Response key -> field name of the root fields that run with these variables; undefined when unsure. */
function rootResponseKeys(document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>): Map<string, string> | undefined {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const keys = new Map<string, string>();
  const seen = new Set<string>();
  const walk = (set: SelectionSetNode): boolean => {
    for (const selection of set.selections) {
      if (getDirectiveValues(GraphQLSkipDirective, selection, variables)?.if === true) continue;
      if (getDirectiveValues(GraphQLIncludeDirective, selection, variables)?.if === false) continue;
      if (selection.kind === Kind.FIELD) keys.set(selection.alias?.value ?? selection.name.value, selection.name.value);
      else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (!walk(selection.selectionSet)) return false;
      } else {
        const fragment = fragments.get(selection.name.value);
        if (!fragment) return false;
        if (seen.has(fragment.name.value)) continue;
        seen.add(fragment.name.value);
        if (!walk(fragment.selectionSet)) return false;
      }
    }
    return true;
  };
  return walk(operation.selectionSet) ? keys : undefined;
}
