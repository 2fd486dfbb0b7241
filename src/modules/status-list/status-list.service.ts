import { createHash, randomInt } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { StatusClaim, StatusListTokenSigner } from './status-list.js';

/** Options of {@link StatusLists}. */
export interface StatusListsOptions {
  /** The issuer URL (`PUBLIC_URL`): list URIs live under it. */
  issuer: string;
  /** Entries in a new list (`STATUS_LIST_CAPACITY`). @default 1048576 */
  capacity?: number;
  /** The lists' `ttl`: how long partners may cache one (`STATUS_LIST_TTL_SECONDS`). @default 60 */
  ttlSeconds?: number;
  signer: StatusListTokenSigner;
  now?: () => Date;
}

/** One entry reserved for a token. */
export interface StatusEntry {
  ordinal: number;
  idx: number;
  /** The `status` claim naming it. */
  claim: StatusClaim;
}

/** A signed list ready to serve. */
export interface PublishedStatusList {
  token: string;
  /** The token gzip-compressed, for clients that accept it (a quarter smaller: base64url inside base64url). */
  gzipped: Buffer;
  etag: string;
  /** Seconds a cache may keep it: the `ttl` (its entries are current when served). */
  maxAgeSeconds: number;
}

const DEFAULT_CAPACITY = 1 << 20;
const DEFAULT_TTL_SECONDS = 60;
// Random draws that must all land on used entries before a list counts as full: at half
// full, 8 misses in a row happen once in 256 issuances, at 10% once in 10^8.
const DRAWS_BEFORE_SEALING = 8;
/** How long a signed list stays valid (`exp` − `iat`) for a partner that cannot reach us. */
const LIST_LIFETIME_SECONDS = 3600;
/** How often a list's entries are checked for flips, at most: a flip is served within this of its commit. */
const REVISION_MEMO_MS = 1000;
/** How long the index and aggregation documents are reused (new lists are rare). */
const LISTING_MEMO_MS = 10_000;

/**
 * Every partner's token status lists (IETF Token Status List). Each token gets a random,
 * never reused entry of its partner's open list; when a list is about half full it is
 * sealed and the next one opened. Lists are served signed and cached, and re-signed within a
 * second of a flip (the count of INVALID entries moved) or when half the copy's lifetime is gone.
 */
export class StatusLists {
  readonly capacity: number;
  readonly ttlSeconds: number;
  private readonly base: string;
  private readonly lifetimeSeconds: number;
  private readonly signed = new Map<string, { revision: string; issuedAt: number; published: Promise<PublishedStatusList> }>();
  private readonly memos = new Map<string, { at: number; value: Promise<unknown> }>();

  constructor(private readonly options: StatusListsOptions) {
    this.capacity = options.capacity ?? DEFAULT_CAPACITY;
    this.ttlSeconds = options.ttlSeconds ?? DEFAULT_TTL_SECONDS;
    if (!Number.isInteger(this.capacity) || this.capacity < 8 || this.capacity > 2 ** 31 - 1) {
      throw new TypeError(`STATUS_LIST_CAPACITY must be an integer from 8 to 2^31-1, got ${options.capacity}`);
    }
    if (!Number.isInteger(this.ttlSeconds) || this.ttlSeconds <= 0) {
      throw new TypeError(`STATUS_LIST_TTL_SECONDS must be a positive integer, got ${options.ttlSeconds}`);
    }
    this.lifetimeSeconds = Math.max(LIST_LIFETIME_SECONDS, 2 * this.ttlSeconds);
    this.base = `${options.issuer.replace(/\/+$/, '')}/.well-known/status-lists`;
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /** `<issuer>/.well-known/status-lists/<partner>/<ordinal>`: a list's `uri` and its token's `sub`. */
  uri(partnerId: string, ordinal: number): string {
    return `${this.base}/${partnerId}/${ordinal}`;
  }

  /** `<issuer>/.well-known/status-lists/<partner>`: the partner's lists (`aggregation_uri`). */
  aggregationUri(partnerId: string): string {
    return `${this.base}/${partnerId}`;
  }

  /**
   * Reserves a random free entry of the partner's open list for a token: `record` is
   * called with a candidate entry and must insert the token's row, resolving to null when
   * the entry was taken meanwhile (the unique index said so). Seals a list that keeps
   * refusing draws and continues in the next. Resolves to what `record` recorded.
   */
  async reserve<T>(em: EntityManager, partnerId: string, record: (entry: StatusEntry) => Promise<T | null>): Promise<T> {
    for (;;) {
      const list = await this.openList(em, partnerId);
      for (let draw = 0; draw < DRAWS_BEFORE_SEALING; draw++) {
        const idx = randomInt(list.capacity);
        const recorded = await record({ ordinal: list.ordinal, idx, claim: { status_list: { idx, uri: this.uri(partnerId, list.ordinal) } } });
        if (recorded !== null) return recorded;
      }
      await em.execute(`update status_list set state = 'SEALED', sealed_at = now() where partner_id = ? and ordinal = ? and state = 'OPEN'`, [
        partnerId,
        list.ordinal,
      ]);
    }
  }

  /** The partner's open list, opened when there is none (concurrent openers agree on one). */
  private async openList(em: EntityManager, partnerId: string): Promise<{ ordinal: number; capacity: number }> {
    for (;;) {
      const [open] = await em.execute<{ ordinal: number; capacity: number }[]>(
        `select ordinal, capacity from status_list where partner_id = ? and state = 'OPEN'`,
        [partnerId],
      );
      if (open) return open;
      await em.execute(
        `insert into status_list (partner_id, ordinal, capacity)
         select ?, coalesce(max(ordinal), 0) + 1, ? from status_list where partner_id = ?
         on conflict do nothing`,
        [partnerId, this.capacity, partnerId],
      );
    }
  }

  /** The partner's lists, newest first: the body of its aggregation URI (draft §9). */
  aggregation(em: EntityManager, partnerId: string): Promise<{ status_lists: string[] } | null> {
    return this.memo(`aggregation:${partnerId}`, LISTING_MEMO_MS, async () => {
      const rows = await em.execute<{ ordinal: number }[]>(
        'select ordinal from status_list where partner_id = ? order by ordinal desc',
        [partnerId],
      );
      if (rows.length === 0) return null;
      return { status_lists: rows.map((row) => this.uri(partnerId, row.ordinal)) };
    });
  }

  /** Every list of every partner: the body of `/.well-known/status-lists`. */
  index(em: EntityManager): Promise<{ status_lists: string[] }> {
    return this.memo('index', LISTING_MEMO_MS, async () => {
      const rows = await em.execute<{ partner_id: string; ordinal: number }[]>(
        'select partner_id, ordinal from status_list order by partner_id, ordinal desc',
      );
      return { status_lists: rows.map((row) => this.uri(row.partner_id, row.ordinal)) };
    });
  }

  /**
   * One list as a signed `statuslist+jwt`; null when there is no such list. Entries only
   * ever flip from VALID to INVALID, so the count of INVALID entries (one index-only count,
   * at most once a second per list) tells whether the signed copy is current.
   */
  async publish(em: EntityManager, partnerId: string, ordinal: number): Promise<PublishedStatusList | null> {
    const key = `${partnerId}/${ordinal}`;
    const list = await this.memo(`list:${key}`, REVISION_MEMO_MS, async () => {
      const [row] = await em.execute<{ capacity: number; revision: string }[]>(
        `select s.capacity,
                (select count(*) from issued_token i
                 where i.partner_id = s.partner_id and i.status_list_ordinal = s.ordinal and i.status <> 0)::text as revision
         from status_list s where s.partner_id = ? and s.ordinal = ?`,
        [partnerId, ordinal],
      );
      return row ?? null;
    });
    if (!list) return null;
    const now = this.now().getTime();
    let cached = this.signed.get(key);
    // An unchanged list keeps its signature (and ETag: partners revalidate with a 304)
    // until half its lifetime is gone.
    if (!cached || cached.revision !== list.revision || now - cached.issuedAt >= (this.lifetimeSeconds * 1000) / 2) {
      // Read after the revision: the entries are at least as new as the revision we keep.
      const published = this.sign(em, partnerId, ordinal, list.capacity);
      cached = { revision: list.revision, issuedAt: now, published };
      this.signed.set(key, cached);
      published.catch(() => {
        if (this.signed.get(key) === cached) this.signed.delete(key);
      });
    }
    return cached.published;
  }

  /** `load()`'s answer, shared by concurrent callers and reused for `ms` (the public routes' database load stays bounded). */
  private memo<T>(key: string, ms: number, load: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const hit = this.memos.get(key);
    if (hit && now - hit.at < ms) return hit.value as Promise<T>;
    const value = load();
    this.memos.set(key, { at: now, value });
    value.catch(() => {
      if (this.memos.get(key)?.value === value) this.memos.delete(key);
    });
    return value;
  }

  private async sign(em: EntityManager, partnerId: string, ordinal: number, capacity: number): Promise<PublishedStatusList> {
    const invalid = await em.execute<{ status_idx: number }[]>(
      'select status_idx from issued_token where partner_id = ? and status_list_ordinal = ? and status <> 0',
      [partnerId, ordinal],
    );
    const { token } = await this.options.signer.sign({
      uri: this.uri(partnerId, ordinal),
      size: capacity,
      invalid: invalid.map((row) => row.status_idx),
      ttlSeconds: this.ttlSeconds,
      lifetimeSeconds: this.lifetimeSeconds,
      aggregationUri: this.aggregationUri(partnerId),
      now: this.now(),
    });
    const etag = `"${createHash('sha256').update(token).digest('base64url').slice(0, 27)}"`;
    return { token, gzipped: gzipSync(token), etag, maxAgeSeconds: this.ttlSeconds };
  }
}
