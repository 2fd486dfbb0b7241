import { randomUUID } from 'node:crypto';
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
import { type LocalizedText, type RunningSandbox, type SandboxOptions } from '../sdk/index.js';
import type { PartnerSandbox } from '../sdk/index.js';
import { SPARKWASH_ID } from './client.js';

// The sandbox plays SparkWash: its wire format is SparkWash's, described in client.ts.

type Site = SandboxVenue;

interface Booking {
  id: string;
  entitlementId: string;
  siteId: string;
  scheduledAt: string;
  status: 'CONFIRMED' | 'COMPLETED' | 'CANCELLED';
  createdAt: string;
}

interface Pass {
  entitlementId: string;
  memberNumber: string;
  memberPseudonym: string;
  benefitCode: string;
  status: 'ACTIVE' | 'PENDING' | 'REVOKED';
  validFrom: string;
  validUntil: string;
  quota: number | null;
  updatedAt: string;
}

/** One state change caused by a provisioning call: what tests count to prove exactly-once. */
interface Effect {
  eventId: string;
  action: 'PASS_CREATED' | 'PASS_UPDATED' | 'PASS_REVOKED';
  entitlementId: string;
  at: string;
}

const DAILY_7_TO_21: LocalizedText = { en: 'Daily 07:00–21:00', 'zh-CN': '每天 07:00–21:00' };
const DAILY_8_TO_20: LocalizedText = { en: 'Daily 08:00–20:00', 'zh-CN': '每天 08:00–20:00' };
const SHANGHAI: LocalizedText = { en: 'Shanghai', 'zh-CN': '上海' };
const BEIJING: LocalizedText = { en: 'Beijing', 'zh-CN': '北京' };

/** The wash sites every sandbox starts with. */
export const SANDBOX_SITES: readonly Site[] = [
  {
    id: 'sw-sh-jingan',
    name: { en: 'SparkWash Jing’an Temple', 'zh-CN': '闪亮洗车 静安寺店' },
    address: { en: '1699 West Nanjing Road, Jing’an District', 'zh-CN': '静安区南京西路1699号' },
    city: SHANGHAI,
    openingHours: DAILY_8_TO_20,
  },
  {
    id: 'sw-sh-lujiazui',
    name: { en: 'SparkWash Lujiazui', 'zh-CN': '闪亮洗车 陆家嘴店' },
    address: { en: '88 Century Avenue, Pudong New Area', 'zh-CN': '浦东新区世纪大道88号' },
    city: SHANGHAI,
    openingHours: DAILY_7_TO_21,
  },
  {
    id: 'sw-sh-xujiahui',
    name: { en: 'SparkWash Xujiahui', 'zh-CN': '闪亮洗车 徐家汇店' },
    address: { en: '1 Hongqiao Road, Xuhui District', 'zh-CN': '徐汇区虹桥路1号' },
    city: SHANGHAI,
    openingHours: DAILY_8_TO_20,
  },
  {
    id: 'sw-bj-sanlitun',
    name: { en: 'SparkWash Sanlitun', 'zh-CN': '闪亮洗车 三里屯店' },
    address: { en: '19 Sanlitun Road, Chaoyang District', 'zh-CN': '朝阳区三里屯路19号' },
    city: BEIJING,
    openingHours: DAILY_8_TO_20,
  },
  {
    id: 'sw-bj-guomao',
    name: { en: 'SparkWash Guomao', 'zh-CN': '闪亮洗车 国贸店' },
    address: { en: '1 Jianguomenwai Avenue, Chaoyang District', 'zh-CN': '朝阳区建国门外大街1号' },
    city: BEIJING,
    openingHours: DAILY_7_TO_21,
  },
  {
    id: 'sw-bj-zhongguancun',
    name: { en: 'SparkWash Zhongguancun', 'zh-CN': '闪亮洗车 中关村店' },
    address: { en: '27 Zhongguancun Street, Haidian District', 'zh-CN': '海淀区中关村大街27号' },
    city: BEIJING,
    openingHours: DAILY_8_TO_20,
  },
];

const bookingBody = z.object({ siteId: z.string().min(1), scheduledAt: z.iso.datetime({ offset: true }) });

/** In-memory state of one sandbox: SparkWash's passes, bookings and idempotency records. */
class SparkwashSandboxState implements RightsBook<Pass> {
  /** Passes by entitlement id. */
  readonly rights = new Map<string, Pass>();
  readonly bookings: Booking[] = [];
  readonly effects: Effect[] = [];
  readonly idempotency = new IdempotencyStore();
  private nextMemberNumber = 10_000_001;

  issueMemberNumber(): string {
    return `SW${this.nextMemberNumber++}`;
  }

  recordEffect(eventId: string, change: 'CREATED' | 'UPDATED' | 'REVOKED', entitlementId: string, at: string): void {
    this.effects.push({ eventId, action: `PASS_${change}`, entitlementId, at });
  }

  rightView(pass: Pass): unknown {
    return {
      ...pass,
      bookings: this.bookings.filter((b) => b.entitlementId === pass.entitlementId).map((b) => this.bookingView(b)),
    };
  }

  bookingView(booking: Booking): unknown {
    const site = SANDBOX_SITES.find((s) => s.id === booking.siteId);
    return { id: booking.id, site, scheduledAt: booking.scheduledAt, status: booking.status, createdAt: booking.createdAt };
  }
}

/**
 * Starts a sandbox of SparkWash's partner API on loopback. It answers like the real one:
 * `Authorization: Bearer <apiKey>` on every call (401 otherwise), provisioning calls
 * idempotent by event id, and latency or failures injected on request.
 *
 * API: `GET /v1/sites?city=&limit=`, `PUT|GET|DELETE /v1/passes/:entitlementId`,
 * `POST /v1/passes/:entitlementId/bookings`; test hook `GET /admin/state`, which stays up
 * (and free of injected latency and failures) while the API is down.
 */
export async function startSparkwashSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  const settings = sandboxSettings('SparkWash', options);
  const state = new SparkwashSandboxState();
  return startSandboxServer({
    settings,
    realm: 'sparkwash',
    keyPrefix: 'sw',
    adminState: () => adminState(state),
    route: (req, url) => route(state, req, url),
  });
}

async function route(state: SparkwashSandboxState, req: IncomingMessage, url: URL): Promise<Outcome> {
  const method = req.method ?? 'GET';
  if (url.pathname === '/v1/sites') {
    allowMethod(method, 'GET');
    return { status: 200, body: { sites: listVenues(SANDBOX_SITES, url.searchParams) } };
  }
  const bookingsMatch = /^\/v1\/passes\/([^/]+)\/bookings$/.exec(url.pathname);
  if (bookingsMatch) {
    allowMethod(method, 'POST');
    return createBooking(state, decodeURIComponent(bookingsMatch[1]!), await readJson(req));
  }
  const passMatch = /^\/v1\/passes\/([^/]+)$/.exec(url.pathname);
  if (passMatch) {
    return rightsResourceRoute(state, req, decodeURIComponent(passMatch[1]!), {
      notFound: 'pass_not_found',
      build: ({ entitlementId, ...active }, existing) => ({
        entitlementId,
        memberNumber: existing?.memberNumber ?? state.issueMemberNumber(),
        ...active,
      }),
    });
  }
  throw new HttpProblem(404, 'not_found');
}

function createBooking(state: SparkwashSandboxState, entitlementId: string, json: unknown): Outcome {
  const request = parseBody(bookingBody, json);
  const pass = state.rights.get(entitlementId);
  if (!pass) throw new HttpProblem(404, 'pass_not_found');
  if (pass.status !== 'ACTIVE') throw new HttpProblem(409, 'pass_not_active', { status: pass.status });
  if (!SANDBOX_SITES.some((site) => site.id === request.siteId)) {
    throw new HttpProblem(400, 'invalid_request', { siteId: 'no such site' });
  }
  const booking: Booking = {
    id: `bk_${randomUUID()}`,
    entitlementId,
    siteId: request.siteId,
    scheduledAt: new Date(request.scheduledAt).toISOString(),
    status: 'CONFIRMED',
    createdAt: new Date().toISOString(),
  };
  state.bookings.push(booking);
  return { status: 201, body: state.bookingView(booking) };
}

function adminState(state: SparkwashSandboxState): unknown {
  return {
    passes: [...state.rights.values()].map((pass) => state.rightView(pass)),
    bookings: state.bookings,
    provisioningCalls: Object.fromEntries(state.idempotency.calls),
    effects: state.effects,
  };
}

/** SparkWash's sandbox, for the demo and the tests (never loaded in production). */
export const sparkwashSandbox: PartnerSandbox = { id: SPARKWASH_ID, start: (options) => startSparkwashSandbox(options) };

