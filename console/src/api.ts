// Typed operations (console/src/generated/operations.ts, from operations/console.graphql) sent
// to /graphql with the session's credential and the console's language.
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
import { language } from './i18n.js';
import { currentSession } from './session.js';

export interface Problem {
  field: string;
  message: string;
}

export interface ServerError {
  message: string;
  code: string;
  /** BAD_USER_INPUT: every problem, at its field. */
  problems: Problem[];
}

/** A request the server refused (its coded errors), or that never reached it (code NETWORK). */
export class ApiError extends Error {
  constructor(readonly errors: ServerError[]) {
    super(errors.map((e) => `${e.code}: ${e.message}`).join('; '));
    this.name = 'ApiError';
  }
}

type Operation<R, V> = DocumentTypeDecoration<R, V> & { toString(): string };

export async function request<R, V>(operation: Operation<R, V>, variables: V): Promise<R> {
  const session = currentSession();
  let body: { data?: R | null; errors?: Array<{ message: string; extensions?: { code?: string; problems?: Problem[] } }> };
  try {
    const response = await fetch('/graphql', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        'accept-language': language(),
        ...(session ? { authorization: `Bearer ${session.credential}` } : {}),
      },
      body: JSON.stringify({ query: operation.toString(), variables }),
    });
    body = (await response.json()) as typeof body;
  } catch (error) {
    throw new ApiError([{ code: 'NETWORK', message: error instanceof Error ? error.message : String(error), problems: [] }]);
  }
  if (body.errors?.length || !body.data) {
    throw new ApiError(
      (body.errors ?? [{ message: 'no data' }]).map((e) => ({
        message: e.message,
        code: e.extensions?.code ?? 'INTERNAL_SERVER_ERROR',
        problems: e.extensions?.problems ?? [],
      })),
    );
  }
  return body.data;
}
