// One round trip for the reads a request's resolvers ask for together.
//
// GraphQL resolves sibling fields at once: `me`'s membership, rights, tier and points each send
// their own plain `select` within the same turn of the event loop. Sent one by one, each costs a
// round trip: on loopback the sender's `write` does the receiver's TCP work too, and each
// statement wakes a backend and waits for its answer. Here the reads one request's
// EntityManager sends in one turn are queued and sent at the end of the turn as one
// multi-statement query (the simple protocol MikroORM already uses: parameters are inlined by
// its platform exactly as `em.execute` inlines them), and each caller gets its own statement's
// rows. PostgreSQL runs such a query in one implicit transaction, so the reads also see one
// snapshot.
//
// Only reads are batched (`select …`, method `all`), only outside a transaction; writes and
// everything inside `em.transactional` go as before. When a batch fails (a statement's bad
// input, a cancelled backend), its statements are sent again one by one, so each caller gets
// its own answer or its own error, as without batching.
import type { EntityManager } from '@mikro-orm/postgresql';
import { formatStatements, logSent } from './simple-query.js';

interface Queued {
  sql: string;
  params: unknown[];
  resolve(rows: unknown[]): void;
  reject(error: unknown): void;
}

const READ = /^\s*select\b/i;

/** Makes `em` (one request's fork) send the reads it is asked for in one turn of the event loop together. */
export function batchSameTickReads(em: EntityManager): void {
  const execute = em.execute.bind(em) as (sql: string, params?: unknown[], method?: unknown, ...rest: unknown[]) => Promise<unknown>;
  let queue: Queued[] = [];
  const flush = () => {
    const batch = queue;
    queue = [];
    if (batch.length === 1) {
      const [only] = batch;
      execute(only!.sql, only!.params).then((rows) => only!.resolve(rows as unknown[]), only!.reject);
      return;
    }
    void sendTogether(em, batch, execute);
  };
  const batched = (sql: unknown, params?: unknown, method?: unknown, ...rest: unknown[]): Promise<unknown> => {
    if (typeof sql !== 'string' || !READ.test(sql) || (method !== undefined && method !== 'all') || rest.length > 0 || (params !== undefined && !Array.isArray(params)) || em.isInTransaction()) {
      return execute(sql as string, params as unknown[], method, ...rest);
    }
    return new Promise((resolve, reject) => {
      if (queue.length === 0) setImmediate(flush);
      queue.push({ sql, params: (params as unknown[] | undefined) ?? [], resolve, reject });
    });
  };
  Object.defineProperty(em, 'execute', { value: batched, configurable: true, writable: true });
}

async function sendTogether(em: EntityManager, batch: Queued[], execute: (sql: string, params?: unknown[]) => Promise<unknown>): Promise<void> {
  const statements = formatStatements(em, batch);
  const started = Date.now();
  let results: Array<{ rows: unknown[] }> | undefined;
  try {
    const pool = await em.getConnection().getNativeClient();
    const answer = (await pool.query(statements.join(';\n'))) as unknown;
    if (Array.isArray(answer) && answer.length === batch.length) results = answer as Array<{ rows: unknown[] }>;
  } catch {
    results = undefined;
  }
  if (!results) {
    // Each on its own: every caller gets its own rows or its own error.
    for (const q of batch) execute(q.sql, q.params).then((rows) => q.resolve(rows as unknown[]), q.reject);
    return;
  }
  // Logged (and so counted in db_statements_total) one by one, as em.execute logs each.
  logSent(em, statements, results.map((r) => r.rows.length), Date.now() - started);
  batch.forEach((q, i) => q.resolve(results[i]!.rows));
}
