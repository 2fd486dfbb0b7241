// How many SQL statements this process has sent to PostgreSQL through MikroORM (queries,
// BEGIN/COMMIT/ROLLBACK and savepoints alike): the benchmark reads it from each process's
// metrics (`db_statements_total`) to print statements per operation, and
// test/sql-statements-per-me.pg.test.ts compares it across members.
import { DefaultLogger, type LoggerOptions, type LogContext } from '@mikro-orm/core';

let sent = 0;

/** Statements sent so far by every ORM of this process. */
export function sqlStatementsSent(): number {
  return sent;
}

/**
 * MikroORM's logger, counting: the ORM reports every statement it sends to `logQuery` (after
 * it ran, or failed), whether or not query logging is on. The slow-query log reuses this
 * logger and is not counted twice.
 */
export class StatementCountingLogger extends DefaultLogger {
  static override create(this: void, options: LoggerOptions): StatementCountingLogger {
    return new StatementCountingLogger(options);
  }

  override logQuery(context: { query: string } & LogContext): void {
    if ((context.namespace ?? 'query') === 'query') sent++;
    super.logQuery(context);
  }
}
