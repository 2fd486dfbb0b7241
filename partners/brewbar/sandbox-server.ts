import { randomInt } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import {
  allowMethod,
  HttpProblem,
  IdempotencyStore,
  listVenues,
  parseBody,
  rightsResourceRoute,
  readJson,
  sandboxSettings,
  startSandboxServer,
  type Outcome,
  type RightsBook,
  type SandboxVenue,
} from '../sdk/sandbox-kit.js';
import { codeFromScan } from './client.js';
import { type LocalizedText, type RunningSandbox, type SandboxOptions } from '../sdk/index.js';
import type { PartnerSandbox } from '../sdk/index.js';
import { BREWBAR_ID } from './client.js';

// The sandbox plays BrewBar: its wire format is BrewBar's, described in client.ts.

type Store = SandboxVenue;

/** A member's monthly coffee allowance, keyed by entitlement id. */
interface Member {
  entitlementId: string;
  memberPseudonym: string;
  benefitCode: string;
  status: 'ACTIVE' | 'REVOKED';
  validFrom: string;
  validUntil: string;
  quota: number | null;
  updatedAt: string;
}

/** A code of BrewBar's pool: issued by an export, accepted by a till once. */
interface PoolCode {
  code: string;
  exportedAt: string;
  scannedAt: string | null;
  entitlementId: string | null;
}

/** One state change caused by a provisioning call: what tests count to prove exactly-once. */
interface Effect {
  eventId: string;
  action: 'MEMBER_REGISTERED' | 'MEMBER_UPDATED' | 'MEMBER_REVOKED';
  entitlementId: string;
  at: string;
}

const SHANGHAI: LocalizedText = { en: 'Shanghai', 'zh-CN': '上海' };
const BEIJING: LocalizedText = { en: 'Beijing', 'zh-CN': '北京' };
const DAILY_7_TO_22: LocalizedText = { en: 'Daily 07:00–22:00', 'zh-CN': '每天 07:00–22:00' };
const WEEKDAYS_7_TO_20: LocalizedText = { en: 'Mon–Fri 07:00–20:00, Sat–Sun 09:00–18:00', 'zh-CN': '周一至周五 07:00–20:00，周末 09:00–18:00' };

/** The stores every sandbox starts with. */
export const SANDBOX_STORES: readonly Store[] = [
  {
    id: 'bb-sh-xintiandi',
    name: { en: 'BrewBar Xintiandi', 'zh-CN': '醇吧咖啡 新天地店' },
    address: { en: '181 Taicang Road, Huangpu District', 'zh-CN': '黄浦区太仓路181号' },
    city: SHANGHAI,
    openingHours: DAILY_7_TO_22,
  },
  {
    id: 'bb-sh-kerry',
    name: { en: 'BrewBar Jing’an Kerry Centre', 'zh-CN': '醇吧咖啡 静安嘉里中心店' },
    address: { en: '1515 West Nanjing Road, Jing’an District', 'zh-CN': '静安区南京西路1515号' },
    city: SHANGHAI,
    openingHours: WEEKDAYS_7_TO_20,
  },
  {
    id: 'bb-sh-ifc',
    name: { en: 'BrewBar Lujiazui IFC', 'zh-CN': '醇吧咖啡 陆家嘴国金店' },
    address: { en: '8 Century Avenue, Pudong New Area', 'zh-CN': '浦东新区世纪大道8号' },
    city: SHANGHAI,
    openingHours: DAILY_7_TO_22,
  },
  {
    id: 'bb-bj-taikooli',
    name: { en: 'BrewBar Taikoo Li Sanlitun', 'zh-CN': '醇吧咖啡 三里屯太古里店' },
    address: { en: '19 Sanlitun Road, Chaoyang District', 'zh-CN': '朝阳区三里屯路19号' },
    city: BEIJING,
    openingHours: DAILY_7_TO_22,
  },
  {
    id: 'bb-bj-wangfujing',
    name: { en: 'BrewBar Wangfujing', 'zh-CN': '醇吧咖啡 王府井店' },
    address: { en: '138 Wangfujing Street, Dongcheng District', 'zh-CN': '东城区王府井大街138号' },
    city: BEIJING,
    openingHours: WEEKDAYS_7_TO_20,
  },
  {
    id: 'bb-bj-wudaokou',
    name: { en: 'BrewBar Wudaokou', 'zh-CN': '醇吧咖啡 五道口店' },
    address: { en: '1 Chengfu Road, Haidian District', 'zh-CN': '海淀区成府路1号' },
    city: BEIJING,
    openingHours: DAILY_7_TO_22,
  },
];

/** The coalition takes at most 5,000 codes per upload; one export fills one upload. */
const MAX_EXPORT_COUNT = 5000;
// Crockford's base32 alphabet: no I, L, O or U, so a barista typing a code in cannot misread it.
const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODE_LENGTH = 8;

const scanBody = z.object({ code: z.string().min(1), entitlementId: z.string().min(1).optional() });

/** In-memory state of one sandbox: BrewBar's members, its code pool and idempotency records. */
class BrewbarSandboxState implements RightsBook<Member> {
  /** Members by entitlement id. */
  readonly rights = new Map<string, Member>();
  readonly codes = new Map<string, PoolCode>();
  readonly effects: Effect[] = [];
  readonly idempotency = new IdempotencyStore();

  /** A code never issued before, e.g. `BB-7KQ2M9XD`. */
  issueCode(): string {
    for (;;) {
      let code = 'BB-';
      for (let i = 0; i < CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
      if (!this.codes.has(code)) return code;
    }
  }

  recordEffect(eventId: string, change: 'CREATED' | 'UPDATED' | 'REVOKED', entitlementId: string, at: string): void {
    this.effects.push({ eventId, action: change === 'CREATED' ? 'MEMBER_REGISTERED' : `MEMBER_${change}`, entitlementId, at });
  }

  rightView(member: Member): unknown {
    const scans = [...this.codes.values()]
      .filter((c) => c.entitlementId === member.entitlementId && c.scannedAt !== null)
      .sort((a, b) => a.scannedAt!.localeCompare(b.scannedAt!))
      .map((c) => ({ code: c.code, scannedAt: c.scannedAt }));
    return { ...member, scans };
  }

  codeView(code: PoolCode): unknown {
    return { code: code.code, scanned: code.scannedAt !== null, scannedAt: code.scannedAt, entitlementId: code.entitlementId };
  }
}

/**
 * Starts a sandbox of BrewBar's partner API on loopback. It answers like the real one:
 * `Authorization: Bearer <apiKey>` on every call (401 otherwise), provisioning calls
 * idempotent by event id, and latency or failures injected on request.
 *
 * API: `GET /v1/stores?city=&limit=`, `PUT|GET|DELETE /v1/members/:entitlementId`,
 * `POST /v1/scans` (`{ code, entitlementId? }`: 200 once per code, then 409
 * `already_scanned`; 404 `unknown_code` for a code it never issued), `GET /v1/codes/:code`,
 * `GET /v1/pool/export?count=N` (N fresh codes to upload to the coalition); test hook
 * `GET /admin/state`, which stays up (and free of injected latency and failures) while the
 * API is down.
 */
export async function startBrewbarSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  const settings = sandboxSettings('BrewBar', options);
  const state = new BrewbarSandboxState();
  return startSandboxServer({
    settings,
    realm: 'brewbar',
    keyPrefix: 'bb',
    adminState: () => adminState(state),
    route: (req, url) => route(state, req, url),
  });
}

async function route(state: BrewbarSandboxState, req: IncomingMessage, url: URL): Promise<Outcome> {
  const method = req.method ?? 'GET';
  if (url.pathname === '/v1/stores') {
    allowMethod(method, 'GET');
    return { status: 200, body: { stores: listVenues(SANDBOX_STORES, url.searchParams) } };
  }
  if (url.pathname === '/v1/pool/export') {
    allowMethod(method, 'GET');
    return exportPool(state, url.searchParams);
  }
  if (url.pathname === '/v1/scans') {
    allowMethod(method, 'POST');
    return scan(state, await readJson(req));
  }
  const codeMatch = /^\/v1\/codes\/([^/]+)$/.exec(url.pathname);
  if (codeMatch) {
    allowMethod(method, 'GET');
    const code = state.codes.get(decodeURIComponent(codeMatch[1]!));
    if (!code) throw new HttpProblem(404, 'unknown_code');
    return { status: 200, body: state.codeView(code) };
  }
  const memberMatch = /^\/v1\/members\/([^/]+)$/.exec(url.pathname);
  if (memberMatch) {
    return rightsResourceRoute(state, req, decodeURIComponent(memberMatch[1]!), { notFound: 'member_not_found', build: (active) => active });
  }
  throw new HttpProblem(404, 'not_found');
}

function exportPool(state: BrewbarSandboxState, params: URLSearchParams): { status: number; body: unknown } {
  const count = Number(params.get('count'));
  if (!Number.isInteger(count) || count < 1 || count > MAX_EXPORT_COUNT) {
    throw new HttpProblem(400, 'invalid_request', { count: `must be an integer from 1 to ${MAX_EXPORT_COUNT}` });
  }
  const exportedAt = new Date().toISOString();
  const codes: string[] = [];
  for (let i = 0; i < count; i++) {
    const code = state.issueCode();
    state.codes.set(code, { code, exportedAt, scannedAt: null, entitlementId: null });
    codes.push(code);
  }
  return { status: 200, body: { codes } };
}

function scan(state: BrewbarSandboxState, json: unknown): { status: number; body: unknown } {
  const request = parseBody(scanBody, json);
  const code = state.codes.get(codeFromScan(request.code));
  if (!code) throw new HttpProblem(404, 'unknown_code');
  if (code.scannedAt !== null) {
    throw new HttpProblem(409, 'already_scanned', { scannedAt: code.scannedAt });
  }
  const { entitlementId } = request;
  if (entitlementId !== undefined) {
    const member = state.rights.get(entitlementId);
    if (!member) throw new HttpProblem(404, 'member_not_found');
    if (member.status !== 'ACTIVE') throw new HttpProblem(409, 'member_not_active', { status: member.status });
  }
  code.scannedAt = new Date().toISOString();
  code.entitlementId = entitlementId ?? null;
  return { status: 200, body: { code: code.code, scannedAt: code.scannedAt, entitlementId: code.entitlementId } };
}

function adminState(state: BrewbarSandboxState): unknown {
  const codes = [...state.codes.values()];
  return {
    members: [...state.rights.values()].map((member) => state.rightView(member)),
    pool: { issued: codes.length, scanned: codes.filter((c) => c.scannedAt !== null).length },
    scans: codes.filter((c) => c.scannedAt !== null).map((c) => state.codeView(c)),
    provisioningCalls: Object.fromEntries(state.idempotency.calls),
    effects: state.effects,
  };
}

/** BrewBar's sandbox, for the demo and the tests (never loaded in production). */
export const brewbarSandbox: PartnerSandbox = { id: BREWBAR_ID, start: (options) => startBrewbarSandbox(options) };

