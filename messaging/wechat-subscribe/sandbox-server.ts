import { randomBytes, randomInt } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MessagingSandboxOptions, MessagingSandboxStarter, RunningMessagingSandbox } from '../sdk/index.js';
import { ERRCODE, SEND_PATH, TOKEN_PATH } from './protocol.js';

// Development and tests only: plays WeChat's access-token and subscribe-message calls on
// loopback. README.md describes its routes, scenarios and admin endpoints.

/** What the sandbox does with a send, chosen per recipient (`touser`). */
export const WECHAT_SUBSCRIBE_SANDBOX_SCENARIOS = [
  /** Refused: the member has not subscribed (43101). */
  'REFUSE',
  /** Refused: the API call limit is reached (45009). */
  'RATE_LIMIT',
  /** "System busy" (errcode -1). */
  'SYSTEM_BUSY',
  /** HTTP 502 with a body that is not JSON, as a failing gateway in front of WeChat answers. */
  'FAIL_5XX',
  /**
   * Delivered at once, answered only after `slowMs`: the caller may give up before it hears.
   * Meanwhile another message to the same recipient is refused with 43108, as WeChat refuses
   * messages sent to one member at once.
   */
  'SLOW',
  /** The first send to the recipient is refused with 40001 (invalid credential), as if the token had been revoked; then normal. */
  'INVALID_TOKEN_ONCE',
  /** The openid is not this mini program's (40003). */
  'INVALID_OPENID',
] as const;
export type WechatSubscribeSandboxScenario = (typeof WECHAT_SUBSCRIBE_SANDBOX_SCENARIOS)[number];

/** How to start the sandbox: the SDK's options plus what tests tune. */
export interface WechatSubscribeSandboxOptions extends MessagingSandboxOptions {
  /** How long an access token lives, in seconds (`expires_in`). @default 7200 */
  tokenTtlSeconds?: number;
  /** How long a `SLOW` send takes to be answered, in milliseconds. @default 3000 */
  slowMs?: number;
  /**
   * The mini program's templates with their keys. When given, any other `template_id` is
   * refused (40037) and `data` must have exactly the template's keys (47003). When not, every
   * template id is taken, with any keys.
   */
  templates?: Readonly<Record<string, readonly string[]>>;
  /** The sandbox's clock, in epoch milliseconds (token expiry). @default Date.now */
  now?: () => number;
}

/** One delivered message, as `GET /sandbox/messages` lists it. */
export interface SandboxMessage {
  /** WeChat's id of the message: a 64-bit number, given as a string. */
  msgid: string;
  touser: string;
  template_id: string;
  page?: string;
  lang?: string;
  data: Record<string, { value: string }>;
  client_msg_id?: string;
  /** ISO time it was delivered. */
  delivered_at: string;
}

/** The largest request body read; more is answered 413. */
const MAX_BODY_BYTES = 64 * 1024;
/** WeChat keeps a token valid this long after a newer one is issued for the same app. */
const OLD_TOKEN_GRACE_MS = 5 * 60_000;
const OPENID = /^[A-Za-z0-9_-]{1,128}$/;
/** Longest value per key kind, in characters, as WeChat documents them (the kind is the key without its digits). */
const VALUE_LIMITS: Readonly<Record<string, number>> = {
  thing: 20,
  number: 32,
  letter: 32,
  symbol: 5,
  character_string: 32,
  phone_number: 17,
  car_number: 8,
  phrase: 5,
};
/** A name is 10 characters when it has any Chinese in it, else 20 letters or symbols. */
const NAME_LIMITS = { chinese: 10, latin: 20 } as const;
const LANGS = new Set(['zh_CN', 'en_US', 'zh_HK', 'zh_TW']);

interface Token {
  value: string;
  issuedAt: number;
  expiresAt: number;
}

/** A WeChat-style error answer (HTTP 200 with an errcode), thrown to the router. */
class WechatProblem extends Error {
  constructor(
    readonly errcode: number,
    readonly errmsg: string,
  ) {
    super(errmsg);
  }
}

/** An admin endpoint's error (plain HTTP status). */
class AdminProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Starts a WeChat subscribe-message sandbox on loopback: an appid and AppSecret are made at
 * start and handed back in `adapterSettings` (the adapter's `MESSAGING_WECHAT_SUBSCRIBE_*`
 * names), so `createWechatSubscribeProvider(sandbox.adapterSettings)` talks to it.
 */
export async function startWechatSubscribeSandbox(options: WechatSubscribeSandboxOptions = {}): Promise<RunningMessagingSandbox> {
  const host = options.host ?? '127.0.0.1';
  const tokenTtlSeconds = options.tokenTtlSeconds ?? 7200;
  const slowMs = options.slowMs ?? 3000;
  const now = options.now ?? Date.now;
  const templates = options.templates;
  const appId = `wx${randomBytes(8).toString('hex')}`;
  const appSecret = randomBytes(16).toString('hex');

  const tokens = new Map<string, Token>();
  let tokensIssued = 0;
  let sendCalls = 0;
  /** Delivered messages in order, and by our client_msg_id. */
  const messages: SandboxMessage[] = [];
  const byClientId = new Map<string, SandboxMessage>();
  const scenarios = new Map<string, WechatSubscribeSandboxScenario>();
  /** Recipients with an answer on its way (SLOW), and how many. */
  const answering = new Map<string, number>();
  /** Recipients whose INVALID_TOKEN_ONCE has fired. */
  const tokenRefusedOnce = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();

  const json = (res: ServerResponse, status: number, text: string): void => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(text);
  };
  const wechatError = (res: ServerResponse, problem: WechatProblem): void => {
    // WeChat adds a request id to errmsg ("… rid: 6560a0b3-…").
    json(res, 200, JSON.stringify({ errcode: problem.errcode, errmsg: `${problem.errmsg} rid: ${randomBytes(12).toString('hex')}` }));
  };

  // ---- WeChat's calls -----------------------------------------------------------------------

  const issueToken = (url: URL) => {
    if (url.searchParams.get('grant_type') !== 'client_credential') throw new WechatProblem(ERRCODE.INVALID_GRANT_TYPE, 'invalid grant_type');
    const appid = url.searchParams.get('appid');
    const secret = url.searchParams.get('secret');
    if (!appid) throw new WechatProblem(ERRCODE.APPID_MISSING, 'appid missing');
    if (appid !== appId) throw new WechatProblem(ERRCODE.INVALID_APPID, 'invalid appid');
    if (!secret) throw new WechatProblem(ERRCODE.APPSECRET_MISSING, 'appsecret missing');
    if (secret !== appSecret) throw new WechatProblem(ERRCODE.INVALID_APPSECRET, 'invalid appsecret');
    const at = now();
    // A new token cuts the life of the older ones to 5 minutes, as WeChat does.
    for (const token of tokens.values()) token.expiresAt = Math.min(token.expiresAt, at + OLD_TOKEN_GRACE_MS);
    const token: Token = { value: randomBytes(64).toString('base64url'), issuedAt: at, expiresAt: at + tokenTtlSeconds * 1000 };
    tokens.set(token.value, token);
    tokensIssued++;
    return { access_token: token.value, expires_in: tokenTtlSeconds };
  };

  const checkToken = (url: URL): void => {
    const value = url.searchParams.get('access_token');
    if (!value) throw new WechatProblem(ERRCODE.ACCESS_TOKEN_MISSING, 'access_token missing');
    const token = tokens.get(value);
    if (!token) throw new WechatProblem(ERRCODE.INVALID_CREDENTIAL, 'invalid credential, access_token is invalid or not latest');
    if (now() >= token.expiresAt) throw new WechatProblem(ERRCODE.ACCESS_TOKEN_EXPIRED, 'access_token expired');
  };

  /** The message a send asks for, or the errcode WeChat would answer. */
  const readSend = (text: string): Omit<SandboxMessage, 'msgid' | 'delivered_at'> => {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new WechatProblem(ERRCODE.DATA_FORMAT_ERROR, 'data format error');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new WechatProblem(ERRCODE.DATA_FORMAT_ERROR, 'data format error');
    const { touser, template_id: templateId, page, lang, data, client_msg_id: clientMsgId } = body as Record<string, unknown>;
    if (touser === undefined || touser === null) throw new WechatProblem(ERRCODE.ARGUMENT_INVALID, 'argument invalid! touser is required');
    if (templateId === undefined || templateId === null) throw new WechatProblem(ERRCODE.ARGUMENT_INVALID, 'argument invalid! template_id is required');
    if (typeof touser !== 'string' || !OPENID.test(touser)) throw new WechatProblem(ERRCODE.INVALID_OPENID, 'invalid openid');
    if (typeof templateId !== 'string' || templateId.length === 0 || (templates && !Object.hasOwn(templates, templateId))) {
      throw new WechatProblem(ERRCODE.INVALID_TEMPLATE_ID, 'invalid template_id');
    }
    if (page !== undefined && (typeof page !== 'string' || page.length > 1024 || page.includes('://'))) throw new WechatProblem(ERRCODE.INVALID_PAGE, 'invalid page');
    if (lang !== undefined && (typeof lang !== 'string' || !LANGS.has(lang))) throw new WechatProblem(ERRCODE.ARGUMENT_INVALID, 'argument invalid! lang is invalid');
    if (clientMsgId !== undefined && (typeof clientMsgId !== 'string' || clientMsgId.length === 0 || clientMsgId.length > 128)) {
      throw new WechatProblem(ERRCODE.ARGUMENT_INVALID, 'argument invalid! client_msg_id must be 1 to 128 characters (sandbox)');
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data) || Object.keys(data).length === 0) {
      throw new WechatProblem(ERRCODE.ARGUMENT_INVALID, 'argument invalid! data is empty');
    }
    const fields: Record<string, { value: string }> = {};
    for (const [key, entry] of Object.entries(data as Record<string, unknown>)) {
      const value = (entry as { value?: unknown } | null)?.value;
      if (typeof value !== 'string' || value.length === 0) throw new WechatProblem(ERRCODE.ARGUMENT_INVALID, `argument invalid! data.${key}.value is empty`);
      const kind = key.replace(/\d+$/, '');
      const limit = kind === 'name' ? (/^[\x20-\x7e]*$/.test(value) ? NAME_LIMITS.latin : NAME_LIMITS.chinese) : VALUE_LIMITS[kind];
      if (limit !== undefined && [...value].length > limit) throw new WechatProblem(ERRCODE.ARGUMENT_INVALID, `argument invalid! data.${key}.value exceeds limit`);
      fields[key] = { value };
    }
    const keys = templates?.[templateId];
    if (keys) {
      const missing = keys.filter((key) => !(key in fields));
      const extra = Object.keys(fields).filter((key) => !keys.includes(key));
      if (missing.length > 0) throw new WechatProblem(ERRCODE.ARGUMENT_INVALID, `argument invalid! data.${missing[0]}.value is empty`);
      if (extra.length > 0) throw new WechatProblem(ERRCODE.ARGUMENT_INVALID, `argument invalid! data.${extra[0]} is not a keyword of the template`);
    }
    return {
      touser,
      template_id: templateId,
      ...(page === undefined ? {} : { page: page as string }),
      ...(lang === undefined ? {} : { lang: lang as string }),
      data: fields,
      ...(clientMsgId === undefined ? {} : { client_msg_id: clientMsgId as string }),
    };
  };

  /** A send's answer text: msgid is written as the 64-bit number WeChat gives. */
  const sent = (message: SandboxMessage) => `{"errcode":0,"errmsg":"ok","msgid":${message.msgid}}`;

  const send = (url: URL, text: string, res: ServerResponse): void => {
    sendCalls++;
    checkToken(url);
    const request = readSend(text);
    const scenario = scenarios.get(request.touser);
    if (scenario === 'INVALID_TOKEN_ONCE' && !tokenRefusedOnce.has(request.touser)) {
      tokenRefusedOnce.add(request.touser);
      throw new WechatProblem(ERRCODE.INVALID_CREDENTIAL, 'invalid credential, access_token is invalid or not latest');
    }
    // Ours, not WeChat's: a message already delivered under this client_msg_id is not delivered again.
    const previous = request.client_msg_id === undefined ? undefined : byClientId.get(request.client_msg_id);
    if (previous) {
      if (previous.touser !== request.touser || previous.template_id !== request.template_id) {
        throw new WechatProblem(ERRCODE.ARGUMENT_INVALID, `argument invalid! client_msg_id ${request.client_msg_id} was used for another message (sandbox)`);
      }
      return json(res, 200, sent(previous));
    }
    if ((answering.get(request.touser) ?? 0) > 0) throw new WechatProblem(ERRCODE.CONCURRENT_SEND_TO_USER, '并发下发消息给同一个粉丝');
    switch (scenario) {
      case 'REFUSE':
        throw new WechatProblem(ERRCODE.USER_REFUSED, 'user refuse to accept the msg');
      case 'RATE_LIMIT':
        throw new WechatProblem(ERRCODE.API_LIMIT, 'reach max api daily quota limit');
      case 'SYSTEM_BUSY':
        throw new WechatProblem(ERRCODE.SYSTEM_BUSY, 'system error');
      case 'INVALID_OPENID':
        throw new WechatProblem(ERRCODE.INVALID_OPENID, 'invalid openid');
      case 'FAIL_5XX':
        res.writeHead(502, { 'content-type': 'text/html' }).end('<html><body><h1>502 Bad Gateway</h1></body></html>');
        return;
      default:
        break;
    }
    const message: SandboxMessage = { msgid: msgid(), ...request, delivered_at: new Date(now()).toISOString() };
    messages.push(message);
    if (message.client_msg_id !== undefined) byClientId.set(message.client_msg_id, message);
    if (scenario !== 'SLOW') return json(res, 200, sent(message));
    answering.set(message.touser, (answering.get(message.touser) ?? 0) + 1);
    const timer = setTimeout(() => {
      timers.delete(timer);
      answering.set(message.touser, answering.get(message.touser)! - 1);
      if (!res.destroyed) json(res, 200, sent(message));
    }, slowMs);
    timers.add(timer);
  };

  // ---- Admin routes (for tests and development) ---------------------------------------------

  const putScenarios = (body: Record<string, unknown>) => {
    const problems: string[] = [];
    for (const [openid, scenario] of Object.entries(body)) {
      if (scenario !== null && !WECHAT_SUBSCRIBE_SANDBOX_SCENARIOS.includes(scenario as WechatSubscribeSandboxScenario)) {
        problems.push(`${openid}: the scenario must be one of ${WECHAT_SUBSCRIBE_SANDBOX_SCENARIOS.join(', ')}, or null to clear it (got ${JSON.stringify(scenario)})`);
      }
    }
    if (problems.length > 0) throw new AdminProblem(400, problems.join('; '));
    for (const [openid, scenario] of Object.entries(body)) {
      tokenRefusedOnce.delete(openid);
      if (scenario === null) scenarios.delete(openid);
      else scenarios.set(openid, scenario as WechatSubscribeSandboxScenario);
    }
    return Object.fromEntries(scenarios);
  };

  const state = () => ({
    appid: appId,
    tokensIssued,
    tokens: [...tokens.values()].map((token) => ({
      issued_at: new Date(token.issuedAt).toISOString(),
      expires_at: new Date(token.expiresAt).toISOString(),
      valid: now() < token.expiresAt,
    })),
    sendCalls,
    messages: messages.length,
    scenarios: Object.fromEntries(scenarios),
  });

  const admin = async (method: string, url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = url.pathname;
    const answer = (status: number, payload?: unknown) =>
      payload === undefined ? void res.writeHead(status).end() : json(res, status, JSON.stringify(payload));
    if (path === '/sandbox/state' && method === 'GET') return answer(200, state());
    if (path === '/sandbox/messages' && method === 'GET') {
      const touser = url.searchParams.get('touser');
      return answer(200, { messages: touser === null ? messages : messages.filter((m) => m.touser === touser) });
    }
    if (path === '/sandbox/messages' && method === 'DELETE') {
      messages.length = 0;
      byClientId.clear();
      return answer(204);
    }
    if (path === '/sandbox/scenarios' && method === 'GET') return answer(200, Object.fromEntries(scenarios));
    if (path === '/sandbox/scenarios' && method === 'PUT') return answer(200, putScenarios(await readJson(req)));
    if (path === '/sandbox/scenarios' && method === 'DELETE') {
      scenarios.clear();
      tokenRefusedOnce.clear();
      return answer(204);
    }
    if (path === '/sandbox/tokens/expire' && method === 'POST') {
      const at = now();
      let expired = 0;
      for (const token of tokens.values()) {
        if (token.expiresAt > at) expired++;
        token.expiresAt = Math.min(token.expiresAt, at);
      }
      return answer(200, { expired });
    }
    throw new AdminProblem(404, `no ${method} ${path}`);
  };

  const server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://sandbox');
    void (async () => {
      try {
        if (url.pathname.startsWith('/sandbox/')) return await admin(method, url, req, res);
        if (url.pathname === TOKEN_PATH && method === 'GET') return json(res, 200, JSON.stringify(issueToken(url)));
        if (url.pathname === SEND_PATH && method === 'POST') return send(url, (await readBody(req)).toString('utf8'), res);
        throw new AdminProblem(404, `no ${method} ${url.pathname}`);
      } catch (error) {
        if (res.headersSent) return;
        if (error instanceof WechatProblem) return wechatError(res, error);
        if (error instanceof AdminProblem) return json(res, error.status, JSON.stringify({ error: error.message }));
        json(res, 500, JSON.stringify({ error: 'the sandbox failed' }));
      }
    })();
  });

  server.listen(options.port ?? 0, host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    url,
    adapterSettings: {
      MESSAGING_WECHAT_SUBSCRIBE_API_URL: url,
      MESSAGING_WECHAT_SUBSCRIBE_APP_ID: appId,
      MESSAGING_WECHAT_SUBSCRIBE_APP_SECRET: appSecret,
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// It is the SDK's sandbox starter (what src/dev-sandboxes.ts hands to a composition root), checked here.
startWechatSubscribeSandbox satisfies MessagingSandboxStarter;

// ---- Helpers -----------------------------------------------------------------------------------

/** A msgid like WeChat's: 19 digits, beyond a JavaScript number's exact range. */
function msgid(): string {
  return `${randomInt(1, 10)}${String(randomInt(0, 1_000_000_000)).padStart(9, '0')}${String(randomInt(0, 1_000_000_000)).padStart(9, '0')}`;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new AdminProblem(413, `the body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = (await readBody(req)).toString('utf8');
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new AdminProblem(400, 'the body must be a JSON object');
}
