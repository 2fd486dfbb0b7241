// A transaction sent in batches (src/platform/db/pipelined-transaction.ts) behaves as the same
// statements sent one by one in `em.transactional`: in order, all or nothing, each statement
// with its own snapshot (a read after a lock sees what the lock's previous holder committed),
// a failing statement's error as the ORM reports it, the connection back in the pool, every
// statement counted. That a batch went as one message is seen from PostgreSQL's
// `statement_timestamp()` (the time the client's message arrived: shared by the statements of
// one multi-statement query, distinct for statements sent one by one).
import type { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipelinedTransaction } from '../src/platform/db/pipelined-transaction.js';
import { connectOrm } from '../src/platform/db/orm.js';
import { sqlStatementsSent } from '../src/platform/db/sql-statements.js';
import { uniqueViolation } from '../src/platform/sql.js';
import pg from 'pg';
import { AuditKeyring, AuditLog, configureAuditLog, verifyAuditChain } from '../src/modules/audit/index.js';
import { TEST_AUDIT_HMAC_KEY } from './support/audit-key.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

let db: TestDatabase;
let orm: MikroORM;

beforeAll(async () => {
  db = await createTestDatabase();
  orm = await connectOrm({ databaseUrl: db.url, entities: [], poolSize: 4 });
  await db.query(`create table pipe_note (id int primary key, body text not null)`);
  await orm.em.fork().execute(`select 1`);
});

afterAll(async () => {
  await orm?.close();
  await db?.drop();
});

type Row = Record<string, unknown>;

const count = async () => Number((await db.query(`select count(*)::int as n from pipe_note`))[0]!.n);

describe('a transaction in batches', () => {
  it('runs each batch as one message, in order, in one transaction, and commits with the last', async () => {
    await db.query(`delete from pipe_note`);
    const before = sqlStatementsSent();
    const answers = await pipelinedTransaction(orm.em.fork(), async (tx) => {
      const first = await tx.send([
        { sql: `insert into pipe_note values (?, ?) returning statement_timestamp()::text as at, txid_current()::text as tx`, params: [1, `it's one; -- not a comment`] },
        { sql: `select body, statement_timestamp()::text as at, txid_current()::text as tx from pipe_note where id = ?;`, params: [1] },
      ]);
      const second = await tx.send([{ sql: `insert into pipe_note values (?, ?) returning statement_timestamp()::text as at, txid_current()::text as tx`, params: [2, 'two'] }], {
        commit: true,
      });
      return [...first, ...second] as Row[][];
    });
    const [[inserted], [read], [again]] = answers as [[Row], [Row], [Row]];
    // One message per batch: the first batch's statements arrived together, the second apart.
    expect(read!.at).toBe(inserted!.at);
    expect(again!.at).not.toBe(inserted!.at);
    // One transaction, which saw its own first write.
    expect(new Set([inserted!.tx, read!.tx, again!.tx]).size).toBe(1);
    expect(read!.body).toBe(`it's one; -- not a comment`);
    expect(await count()).toBe(2);
    // begin, three statements, commit: each counted, as em.transactional counts them.
    expect(sqlStatementsSent() - before).toBe(5);
  });

  it('gives each statement its own snapshot: a read after a lock sees what the lock’s previous holder committed', async () => {
    await db.query(`delete from pipe_note`);
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query(`select pg_advisory_xact_lock(4242)`);
      await holder.query(`insert into pipe_note values (7, 'committed while we waited')`);
      const waiting = pipelinedTransaction(orm.em.fork(), (tx) =>
        tx.send([{ sql: `select pg_advisory_xact_lock(4242)::text` }, { sql: `select body from pipe_note where id = 7` }], { commit: true }),
      );
      // The batch is parked on the lock; the holder commits its row and lets go.
      await waitForLockWaiter();
      await holder.query('commit');
      const [, rows] = await waiting;
      expect(rows).toEqual([{ body: 'committed while we waited' }]);
    } finally {
      await holder.end();
    }
  });

  it('rolls everything back when a statement fails, reports the error as the ORM does, and hands the connection back', async () => {
    await db.query(`delete from pipe_note`);
    await db.query(`insert into pipe_note values (1, 'there before')`);
    const error = await pipelinedTransaction(orm.em.fork(), (tx) =>
      tx.send(
        [
          { sql: `insert into pipe_note values (?, ?)`, params: [2, 'rolled back'] },
          { sql: `insert into pipe_note values (?, ?)`, params: [1, 'a duplicate'] },
          { sql: `insert into pipe_note values (?, ?)`, params: [3, 'never run'] },
        ],
        { commit: true },
      ),
    ).catch((e: unknown) => e);
    expect(uniqueViolation(error)).toBe('pipe_note_pkey');
    expect((error as Error).name).toBe('UniqueConstraintViolationException');
    expect(await db.query(`select id from pipe_note order by id`)).toEqual([{ id: 1 }]);
    // Every connection came back usable: as many transactions as the pool holds, and more, still run.
    for (let i = 0; i < 6; i++) {
      await pipelinedTransaction(orm.em.fork(), (tx) => tx.send([{ sql: `select 1` }], { commit: true }));
    }
  });

  it('rolls back when the work throws between batches, or returns without committing', async () => {
    await db.query(`delete from pipe_note`);
    const thrown = await pipelinedTransaction(orm.em.fork(), async (tx) => {
      await tx.send([{ sql: `insert into pipe_note values (?, ?)`, params: [1, 'written, then the work fails'] }]);
      throw new Error('the work changed its mind');
    }).catch((e: unknown) => e);
    expect((thrown as Error).message).toBe('the work changed its mind');
    const unfinished = await pipelinedTransaction(orm.em.fork(), async (tx) => {
      await tx.send([{ sql: `insert into pipe_note values (?, ?)`, params: [2, 'never committed'] }]);
    }).catch((e: unknown) => e);
    expect((unfinished as Error).message).toMatch(/returned without committing/);
    expect(await count()).toBe(0);
    // Neither left a transaction open on a pooled connection.
    const open = await db.query(`select count(*)::int as n from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'`);
    expect(open[0]!.n).toBe(0);
  });

  it('keeps the audit chain whole when many transactions append to one chain at once', async () => {
    configureAuditLog({ keyring: AuditKeyring.of(TEST_AUDIT_HMAC_KEY) });
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        pipelinedTransaction(orm.em.fork(), async (tx) => {
          const [, locked, head] = await tx.send([{ sql: `select ?::int as n`, params: [i] }, ...AuditLog.lockStatements({ chain: 0 })]);
          await tx.send([AuditLog.insertStatement(locked!, head!, { actor: 'system', requestId: null }, { action: 'test.pipe', subject: String(i) })], { commit: true });
        }),
      ),
    );
    const report = await verifyAuditChain(orm.em.fork());
    expect(report.breaks).toEqual([]);
    const rows = await db.query(`select seq from audit_log where chain = 0 and action = 'test.pipe' order by seq`);
    expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });
});

async function waitForLockWaiter(): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const [row] = await db.query(`select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted`);
    if (Number(row!.n) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the batch never waited for the lock');
}
