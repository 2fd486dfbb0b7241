// A transaction in as few round trips as its logic allows.
//
// `em.transactional` sends each statement on its own and waits for its answer: a redemption's
// BEGIN, insert, two conditional UPDATEs, the audit chain's lock, read and insert and COMMIT
// were eight round trips, each a wake-up of the backend, a `write` that does the receiver's TCP
// work on loopback, and an ORM call. Here the statements whose inputs are known together go as
// one multi-statement simple query (`BEGIN` prefixed to the first batch, `COMMIT` appended to the
// last): PostgreSQL runs them in order, each with its own snapshot under READ COMMITTED exactly
// as if sent one by one, and stops at the first error, after which the transaction is rolled
// back. The statements are formatted, logged and counted as `em.execute` does (simple-query.ts).
//
// Only for transactions written as plain SQL (nothing in the unit of work is flushed) that hold
// no other connection's lock meanwhile: the connection is taken from the ORM's pool for the
// transaction's length, as `em.transactional` takes one.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Statement } from '../sql.js';
import { formatStatements, logSent } from './simple-query.js';

interface PoolClient {
  query(text: string): Promise<unknown>;
  release(error?: Error | boolean): void;
}

/** What the work of {@link pipelinedTransaction} sends its statements with. */
export interface Pipeline {
  /**
   * Sends `statements` together and answers each one's rows, in order. The first batch starts
   * the transaction; with `commit`, the batch ends it. A failing statement rejects the whole
   * call with that statement's error (converted as the ORM converts driver errors), and the
   * transaction is rolled back when the work returns or throws.
   */
  send(statements: readonly Statement[], options?: { commit?: boolean }): Promise<unknown[][]>;
}

/**
 * Runs `work` in one READ COMMITTED transaction on a connection of `em`'s pool, its statements
 * sent in the batches it chooses. The work must end with a `send(…, { commit: true })`; if it
 * returns without committing, or throws, the transaction is rolled back.
 */
export async function pipelinedTransaction<T>(em: EntityManager, work: (pipeline: Pipeline) => Promise<T>): Promise<T> {
  if (em.isInTransaction()) throw new Error('pipelinedTransaction runs its own transaction: call it outside em.transactional');
  const pool = (await em.getConnection().getNativeClient()) as unknown as { connect(): Promise<PoolClient> };
  const client = await pool.connect();
  const tx: { state: 'idle' | 'open' | 'ended' } = { state: 'idle' };
  let broken: Error | undefined;
  const pipeline: Pipeline = {
    async send(statements, options = {}) {
      if (tx.state === 'ended') throw new Error('this pipelined transaction has ended');
      const begin = tx.state === 'idle';
      const formatted = formatStatements(em, statements);
      const text = [...(begin ? ['begin'] : []), ...formatted, ...(options.commit ? ['commit'] : [])];
      tx.state = 'open';
      const started = Date.now();
      let answer: unknown;
      try {
        answer = await client.query(text.join(';\n'));
      } catch (error) {
        // Sent, so counted, as em.execute counts a statement that failed.
        logSent(em, text, [], Date.now() - started);
        // A statement PostgreSQL refused (it has a severity) leaves the connection usable; anything else may not.
        if (!(error instanceof Error) || !('severity' in error)) broken = error instanceof Error ? error : new Error(String(error));
        throw em.getDriver().convertException(error as Error);
      }
      const results = (Array.isArray(answer) ? answer : [answer]) as Array<{ rows?: unknown[] }>;
      if (options.commit) tx.state = 'ended';
      logSent(em, text, results.map((r) => r.rows?.length ?? 0), Date.now() - started);
      return results.slice(begin ? 1 : 0, (begin ? 1 : 0) + statements.length).map((r) => r.rows ?? []);
    },
  };
  try {
    const result = await work(pipeline);
    if (tx.state === 'open') throw new Error('pipelinedTransaction: the work returned without committing (end it with send(…, { commit: true }))');
    return result;
  } catch (error) {
    if (tx.state === 'open' && !broken) {
      try {
        await client.query('rollback');
        logSent(em, ['rollback'], [0], 0);
      } catch (rollbackFailed) {
        broken = rollbackFailed instanceof Error ? rollbackFailed : new Error(String(rollbackFailed));
      }
    }
    throw error;
  } finally {
    // A connection whose state is unknown (lost mid-query, a failed rollback) is destroyed, not reused.
    client.release(broken ?? false);
  }
}
