import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningSandbox, type SandboxOptions } from '../sdk/index.js';

// Test helpers for the partner sandboxes of partners/*/sandbox-server.ts.

/** A fetch init plus the API key to send (`null`: none) and an `Idempotency-Key`. */
export interface SandboxCallInit extends RequestInit {
  /** @default the sandbox's own key */
  key?: string | null;
  eventId?: string;
}

/** Calls a sandbox's API with its key, JSON content type when there is a body, and the given headers last. */
export function callSandbox(target: Pick<RunningSandbox, 'url' | 'apiKey'>, path: string, init: SandboxCallInit = {}): Promise<Response> {
  const { key = target.apiKey, eventId, headers, ...rest } = init;
  return fetch(target.url + path, {
    ...rest,
    headers: {
      ...(key === null ? {} : { authorization: `Bearer ${key}` }),
      ...(rest.body ? { 'content-type': 'application/json' } : {}),
      ...(eventId ? { 'idempotency-key': eventId } : {}),
      ...(headers as Record<string, string> | undefined),
    },
  });
}

/** The sandbox's `GET /admin/state` test hook, as `State`. */
export async function sandboxAdminState<State>(target: Pick<RunningSandbox, 'url' | 'apiKey'>): Promise<State> {
  return (await (await callSandbox(target, '/admin/state')).json()) as State;
}

/**
 * Starts a sandbox before the file's tests and closes it after them; the returned handle
 * stands for that sandbox (read it inside tests and hooks only).
 */
export function useSandbox<Sandbox extends RunningSandbox>(start: () => Promise<Sandbox>): Sandbox {
  let current: Sandbox | undefined;
  beforeAll(async () => {
    current = await start();
  });
  afterAll(async () => {
    await current?.close();
  });
  return new Proxy({} as Sandbox, {
    get(_, property) {
      if (!current) throw new Error('useSandbox: the sandbox is only there inside tests');
      const value: unknown = Reflect.get(current, property, current);
      return typeof value === 'function' ? value.bind(current) : value;
    },
  });
}

/** What {@link itBehavesLikeASandbox} needs to know of a partner's sandbox. */
export interface SandboxContract {
  /** The sandbox the file's tests share (e.g. from {@link useSandbox}). */
  sandbox: () => RunningSandbox;
  /** Starts another sandbox of the same partner. */
  start: (options?: SandboxOptions) => Promise<RunningSandbox>;
  /** A partner API call (GET) that takes the API key. */
  apiPath: string;
  /** What `apiPath` answers while the sandbox is up. @default 200 */
  upStatus?: number;
  /** Realm of its `WWW-Authenticate` challenge. */
  realm: string;
  /** Prefix of its API keys, e.g. `sw` for `sw_sandbox_…`. */
  keyPrefix: string;
}

/** The tests every sandbox passes: loopback and a fresh key per start, 401s, setDown and failureRate. */
export function itBehavesLikeASandbox(contract: SandboxContract): void {
  const { sandbox, start, apiPath, upStatus = 200, realm, keyPrefix } = contract;
  const call = (path: string, init?: SandboxCallInit) => callSandbox(sandbox(), path, init);

  it('listens on loopback and hands out a fresh API key per start', async () => {
    const other = await start();
    try {
      expect(new URL(sandbox().url).hostname).toBe('127.0.0.1');
      expect(other.apiKey).toMatch(new RegExp(`^${keyPrefix}_sandbox_[\\w-]{32}$`));
      expect(other.apiKey).not.toBe(sandbox().apiKey);
    } finally {
      await other.close();
    }
  });

  it('rejects a wrong API key with 401', async () => {
    const response = await call(apiPath, { key: `${keyPrefix}_sandbox_not-the-key` });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(`Bearer realm="${realm}"`);
    expect(await response.json()).toEqual({ error: 'unauthorized' });
  });

  it('rejects a call without credentials with 401', async () => {
    expect((await call(apiPath, { key: null })).status).toBe(401);
    expect((await call('/admin/state', { key: null })).status).toBe(401);
  });

  it('answers 503 while down, keeping /admin/state up, and serves again once up', async () => {
    sandbox().setDown(true);
    try {
      const response = await call(apiPath);
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('1');
      expect(await response.json()).toEqual({ error: 'service_unavailable' });
      expect((await call('/admin/state')).status).toBe(200);
    } finally {
      sandbox().setDown(false);
    }
    expect((await call(apiPath)).status).toBe(upStatus);
  });

  it('fails every partner API call when started with failureRate 1', async () => {
    const failing = await start({ failureRate: 1 });
    try {
      expect((await callSandbox(failing, apiPath)).status).toBe(503);
    } finally {
      await failing.close();
    }
  });

  it('refuses a failureRate out of 0 to 1 or a negative latencyMs at start-up', async () => {
    await expect(start({ failureRate: 2 })).rejects.toThrow(/failureRate must be between 0 and 1, got 2/);
    await expect(start({ latencyMs: -1 })).rejects.toThrow(/latencyMs must be 0 or more, got -1/);
  });
}

/**
 * The effects one provisioning event had on a sandbox that counts its provisioning calls
 * (SparkWash, BrewBar), after checking the event reached it at all.
 */
export async function provisioningEffectsOf(target: Pick<RunningSandbox, 'url' | 'apiKey'>, eventId: string): Promise<unknown[]> {
  const state = await sandboxAdminState<{ effects: Array<{ eventId: string }>; provisioningCalls: Record<string, number> }>(target);
  expect(state.provisioningCalls[eventId]).toBeGreaterThan(0);
  return state.effects.filter((effect) => effect.eventId === eventId);
}
