/** The constraint a PostgreSQL unique violation (23505) hit, or undefined for any other error. */
export function uniqueViolation(error: unknown): string | undefined {
  const e = error as { code?: string; constraint?: string; cause?: unknown } | null;
  if (!e || typeof e !== 'object') return undefined;
  if (e.code === '23505') return e.constraint ?? '';
  return e.cause ? uniqueViolation(e.cause) : undefined;
}

/** True when `error` (or its cause) is a PostgreSQL restrict violation (23001), as raised by our guard triggers. */
export function restrictViolation(error: unknown): boolean {
  const e = error as { code?: string; cause?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  return e.code === '23001' || (e.cause ? restrictViolation(e.cause) : false);
}

/**
 * A PostgreSQL text[] literal for a raw-query parameter (the ORM would expand a JS array
 * into a list): pass as `?::text[]`.
 */
export function pgTextArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}

/** One statement with `?` placeholders and its parameters, as `em.execute` takes them. */
export interface Statement {
  sql: string;
  params?: unknown[];
}

/**
 * SQL inside one transaction, `?` placeholders: what an EntityManager inside
 * `em.transactional` offers, and what {@link pgTransaction} makes of a plain `pg` client between
 * `begin` and `commit` (commands that answer fast without loading the ORM).
 */
export interface SqlTransaction {
  isInTransaction(): boolean;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- rows are typed by each caller
  execute(sql: string, params?: unknown[]): Promise<any>;
}

/** A `pg` client inside `begin … commit` as a {@link SqlTransaction} (`?` become `$1`, `$2`, …). */
export function pgTransaction(client: { query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }> }): SqlTransaction {
  return {
    isInTransaction: () => true,
    execute: async (sql, params = []) => {
      let n = 0;
      return (await client.query(sql.replace(/\?/g, () => `$${++n}`), params)).rows;
    },
  };
}
