// Several statements in one simple-protocol query: what the same-tick reads and the pipelined
// transactions share. Parameters are inlined by MikroORM's platform exactly as `em.execute`
// inlines them, and each statement is still logged on its own (so counted in
// `db_statements_total`, and seen by the tests that EXPLAIN what was sent).
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Statement } from '../sql.js';

/** The statements as one query text: each formatted, without its trailing `;`, joined. */
export function formatStatements(em: EntityManager, statements: readonly Statement[]): string[] {
  const platform = em.getPlatform();
  // Each statement without a trailing `;` (an empty statement between two would answer nothing).
  return statements.map((s) => withoutTrailingSemicolons(platform.formatQuery(s.sql, s.params ?? [])));
}

/** Logs each statement sent, as `em.execute` logs each (counted, slow ones in the slow-query log). */
export function logSent(em: EntityManager, formatted: readonly string[], rowCounts: readonly number[], took: number): void {
  const logger = em.config.getLogger();
  const slowQueryThreshold = em.config.get('slowQueryThreshold');
  formatted.forEach((query, i) => {
    const context = { query, took, results: rowCounts[i] ?? 0, level: 'info' as const };
    logger.logQuery(context);
    if (slowQueryThreshold != null && took >= slowQueryThreshold) em.config.getSlowQueryLogger().logQuery({ ...context, enabled: true });
  });
}

/** `sql` without trailing `;` and blanks (a regex anchored at the end scans every blank run: slow on long statements). */
function withoutTrailingSemicolons(sql: string): string {
  let end = sql.length;
  for (;;) {
    const c = sql.charCodeAt(end - 1);
    if (end > 0 && (c === 59 || c === 32 || c === 10 || c === 13 || c === 9)) end--;
    else return end === sql.length ? sql : sql.slice(0, end);
  }
}
