// The coalition gateway's public operations, typed (generated into ./operations.ts by
// `npm run codegen` from the repository's operations/*.graphql), and a client that sends them.
//
//   import { createClient, MeDocument } from '@coalition-gateway/client';
//   const gateway = createClient({ url: 'https://gateway.example/graphql', credential: () => token });
//   const { me } = await gateway.request(MeDocument, {});
//
// It needs only `fetch`: browsers, Node ≥ 18, mini-program shims.
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';

export * from './operations.js';

/** One problem with one input field, as the gateway lists them under BAD_USER_INPUT. */
export interface Problem {
  /** The input's path, e.g. `changes[2].quota`. */
  field: string;
  message: string;
}

/** One error the gateway answered with: its `extensions.code` and, for BAD_USER_INPUT, every problem at its field. */
export interface GatewayErrorEntry {
  message: string;
  /** The contract's code (`QUOTA_EXHAUSTED`, `FORBIDDEN`, …), or `NETWORK` when the gateway could not be reached. */
  code: string;
  problems: Problem[];
  /** The rest of `extensions` (e.g. `balance`, `required` of INSUFFICIENT_POINTS). */
  extensions: Record<string, unknown>;
}

/** A request the gateway refused (its coded errors), or that never reached it (code `NETWORK`). */
export class GatewayError extends Error {
  constructor(readonly errors: GatewayErrorEntry[]) {
    super(errors.map((e) => `${e.code}: ${e.message}`).join('; '));
    this.name = 'GatewayError';
  }

  /** The first error's code. */
  get code(): string {
    return this.errors[0]?.code ?? 'INTERNAL_SERVER_ERROR';
  }
}

/** An operation of ./operations.ts (a typed string), or any typed document that prints to its text. */
export type Operation<R, V> = DocumentTypeDecoration<R, V> & { toString(): string };

export interface ClientOptions {
  /** The gateway's GraphQL endpoint, e.g. `https://gateway.example/graphql` or `/graphql`. */
  url: string;
  /** A member's JWT, a staff JWT or a partner API key, read before each request; none sends no Authorization. */
  credential?: () => string | null | undefined;
  /** `Accept-Language` (`en`, `zh-CN`): names and messages come back in it. */
  language?: () => string | null | undefined;
  /** Another fetch (tests, mini-program shims). @default globalThis.fetch */
  fetch?: typeof fetch;
}

export interface Client {
  /** Sends one operation; resolves to its data, or rejects with a {@link GatewayError}. */
  request<R, V>(operation: Operation<R, V>, variables: V, init?: { signal?: AbortSignal }): Promise<R>;
}

interface Body<R> {
  data?: R | null;
  errors?: GatewayErrorJson[];
}

/** One error as the gateway writes it in JSON (GraphQL answers and its HTTP routes alike). */
export interface GatewayErrorJson {
  message: string;
  extensions?: { code?: string; problems?: Problem[] } & Record<string, unknown>;
}

/** The gateway's JSON errors as {@link GatewayErrorEntry}s: the code (INTERNAL_SERVER_ERROR when none), the problems, the rest. */
export function errorEntries(errors: readonly GatewayErrorJson[]): GatewayErrorEntry[] {
  return errors.map(({ message, extensions = {} }) => {
    const { code, problems, ...rest } = extensions;
    return { message, code: code ?? 'INTERNAL_SERVER_ERROR', problems: problems ?? [], extensions: rest };
  });
}

export function createClient(options: ClientOptions): Client {
  const send = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  return {
    async request<R, V>(operation: Operation<R, V>, variables: V, init: { signal?: AbortSignal } = {}): Promise<R> {
      const credential = options.credential?.();
      const language = options.language?.();
      let body: Body<R>;
      try {
        const response = await send(options.url, {
          method: 'POST',
          signal: init.signal,
          headers: {
            'content-type': 'application/json',
            accept: 'application/graphql-response+json, application/json',
            ...(language ? { 'accept-language': language } : {}),
            ...(credential ? { authorization: `Bearer ${credential}` } : {}),
          },
          body: JSON.stringify({ query: operation.toString(), variables }),
        });
        body = (await response.json()) as Body<R>;
      } catch (error) {
        throw new GatewayError([{ code: 'NETWORK', message: error instanceof Error ? error.message : String(error), problems: [], extensions: {} }]);
      }
      if (body.errors?.length || !body.data) {
        throw new GatewayError(errorEntries(body.errors?.length ? body.errors : [{ message: 'The gateway answered without data' }]));
      }
      return body.data;
    },
  };
}
