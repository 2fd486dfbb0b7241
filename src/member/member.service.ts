import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Finds or creates the member for an identity-provider (`iss`, `sub`), in one statement
 * that is safe under concurrent first requests. Ids never change, so they are cached.
 */
export class MemberDirectory {
  private readonly cache = new Map<string, string>();
  private static readonly MAX_CACHED = 50_000;

  constructor(private readonly fork: () => EntityManager) {}

  async memberIdFor(issuer: string, subject: string): Promise<string> {
    const cacheKey = `${issuer}\u0000${subject}`;
    const cached = this.cache.get(cacheKey);
    if (cached) return cached;
    const rows = await this.fork().execute<{ id: string }[]>(
      `insert into member (id, issuer, subject) values (gen_random_uuid(), ?, ?)
       on conflict (issuer, subject) do update set issuer = excluded.issuer
       returning id`,
      [issuer, subject],
    );
    const id = rows[0]!.id;
    if (this.cache.size >= MemberDirectory.MAX_CACHED) this.cache.clear();
    this.cache.set(cacheKey, id);
    return id;
  }
}
