import type { EntityManager } from '@mikro-orm/postgresql';

/** Options of {@link MemberDirectory}. */
export interface MemberDirectoryOptions {
  /**
   * How long an (`iss`, `sub`) → member id answer is reused without asking the database.
   * Erasure forgets an answer at once in its own process; other processes reuse theirs for
   * at most this long. @default 60_000
   */
  cacheTtlMs?: number;
  /** The clock, in epoch milliseconds. @default Date.now */
  now?: () => number;
}

// Every directory of this process, so an erasure can make all of them forget the member.
const directories = new Set<WeakRef<MemberDirectory>>();

/**
 * Finds or creates the member for an identity-provider (`iss`, `sub`), safe under
 * concurrent first requests and writing nothing when the member exists. Answers are cached for a short while;
 * an erased member's id is dropped at once ({@link MemberDirectory.forget}), so the same
 * person signing in again gets a new member.
 */
export class MemberDirectory {
  private readonly cache = new Map<string, { id: string; until: number }>();
  private static readonly MAX_CACHED = 50_000;
  private readonly ttlMs: number;
  private readonly clock: () => number;

  constructor(
    private readonly fork: () => EntityManager,
    options: MemberDirectoryOptions = {},
  ) {
    this.ttlMs = options.cacheTtlMs ?? 60_000;
    this.clock = options.now ?? Date.now;
    if (!(Number.isFinite(this.ttlMs) && this.ttlMs >= 0)) throw new TypeError(`cacheTtlMs must be a non-negative number, got ${options.cacheTtlMs}`);
    directories.add(new WeakRef(this));
  }

  /** Drops every cached answer naming `memberId`, in every directory of this process. */
  static forget(memberId: string): void {
    for (const ref of directories) {
      const directory = ref.deref();
      if (!directory) directories.delete(ref);
      else directory.forgetMember(memberId);
    }
  }

  async memberIdFor(issuer: string, subject: string): Promise<string> {
    const cacheKey = `${issuer}\u0000${subject}`;
    const cached = this.cache.get(cacheKey);
    if (cached && cached.until > this.clock()) return cached.id;
    const id = await this.findOrCreate(issuer, subject);
    if (this.cache.size >= MemberDirectory.MAX_CACHED) this.cache.clear();
    this.cache.set(cacheKey, { id, until: this.clock() + this.ttlMs });
    return id;
  }

  /** A read when the member exists (every cache refresh); an insert only for a first sign-in. */
  private async findOrCreate(issuer: string, subject: string): Promise<string> {
    for (;;) {
      const [row] = await this.fork().execute<{ id: string }[]>(
        `with existing as (select id from member where issuer = ? and subject = ?),
              created as (
                insert into member (id, issuer, subject)
                select gen_random_uuid(), ?, ? where not exists (select 1 from existing)
                on conflict (issuer, subject) do nothing
                returning id)
         select id from existing union all select id from created`,
        [issuer, subject, issuer, subject],
      );
      // Empty only when a concurrent first sign-in created it meanwhile: read it again.
      if (row) return row.id;
    }
  }

  private forgetMember(memberId: string): void {
    for (const [key, entry] of this.cache) if (entry.id === memberId) this.cache.delete(key);
  }
}
