// A request's reads of one turn go to PostgreSQL together (src/platform/db/same-tick-reads.ts),
// and nothing else changes: each caller gets its own rows, parameters are inlined as
// em.execute inlines them, a failing read fails only its own caller, writes and transactions
// go as before, and every statement is still counted.
// That reads went together is seen from PostgreSQL's transaction start time (`now()`): the
// statements of one multi-statement query share an implicit transaction, statements sent one
// by one each have their own. Seen failing with the queue flushed per statement.
import type { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchSameTickReads } from '../src/platform/db/same-tick-reads.js';
import { connectOrm } from '../src/platform/db/orm.js';
import { sqlStatementsSent } from '../src/platform/db/sql-statements.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

let db: TestDatabase;
let orm: MikroORM;

beforeAll(async () => {
  db = await createTestDatabase();
  orm = await connectOrm({ databaseUrl: db.url, entities: [], poolSize: 4 });
  await db.query(`create table tick_note (id int primary key, body text not null)`);
  await db.query(`insert into tick_note values (1, 'one'), (2, 'it''s two; -- not a comment'), (3, 'three')`);
  // Connected (what the ORM asks on its first connection is not counted below).
  await orm.em.fork().execute(`select 1`);
});

afterAll(async () => {
  await orm?.close();
  await db?.drop();
});

type Row = Record<string, unknown>;

describe('reads of one turn in one round trip', () => {
  it('sends the reads asked for together in one transaction, each caller getting its own rows', async () => {
    const em = orm.em.fork();
    batchSameTickReads(em);
    const before = sqlStatementsSent();
    const [a, b, c] = (await Promise.all([
      em.execute(`select id, body, now()::text as at from tick_note where id = ?`, [1]),
      em.execute(`select id, body, now()::text as at from tick_note where body = ?;`, [`it's two; -- not a comment`]),
      em.execute(`select count(*)::int as n, now()::text as at from tick_note where id = any(?::int[])`, ['{1,3}']),
    ])) as [Row[], Row[], Row[]];
    expect(a).toEqual([{ id: 1, body: 'one', at: expect.any(String) }]);
    expect(b).toEqual([{ id: 2, body: `it's two; -- not a comment`, at: a[0]!.at }]);
    expect(c).toEqual([{ n: 2, at: a[0]!.at }]);
    expect(sqlStatementsSent() - before).toBe(3);
  });

  it('sends reads of different turns, and reads of an EntityManager left as it is, each on its own', async () => {
    const em = orm.em.fork();
    batchSameTickReads(em);
    const [first] = (await em.execute(`select now()::text as at`)) as Row[];
    const [second] = (await em.execute(`select now()::text as at`)) as Row[];
    expect(second!.at).not.toBe(first!.at);
    const plain = orm.em.fork();
    const [x, y] = (await Promise.all([plain.execute(`select now()::text as at`), plain.execute(`select now()::text as at`)])) as [Row[], Row[]];
    expect(y[0]!.at).not.toBe(x[0]!.at);
  });

  it('fails only the read that failed; the others still get their rows', async () => {
    const em = orm.em.fork();
    batchSameTickReads(em);
    const results = await Promise.allSettled([
      em.execute(`select body from tick_note where id = ?`, [3]),
      em.execute(`select body from tick_note where id = ?::int`, ['not a number']),
      em.execute(`select body from tick_note where id = ?`, [1]),
    ]);
    expect(results[0]).toEqual({ status: 'fulfilled', value: [{ body: 'three' }] });
    expect(results[1]).toMatchObject({ status: 'rejected', reason: { code: '22P02' } });
    expect(results[2]).toEqual({ status: 'fulfilled', value: [{ body: 'one' }] });
  });

  it('leaves writes and transactions alone: a write and a read of one turn go apart', async () => {
    const em = orm.em.fork();
    batchSameTickReads(em);
    const [written, read] = (await Promise.all([
      em.execute(`insert into tick_note values (?, ?) returning now()::text as at`, [4, 'four']),
      em.execute(`select now()::text as at`),
    ])) as [Row[], Row[]];
    expect(read[0]!.at).not.toBe(written[0]!.at);
    await em.transactional(async (tx) => {
      const [p, q] = (await Promise.all([tx.execute(`select txid_current()::text as id`), tx.execute(`select now()::text as at`)])) as [Row[], Row[]];
      expect(p[0]!.id).toBeTruthy();
      expect(q[0]!.at).toBeTruthy();
    });
    expect(await db.query(`select body from tick_note where id = 4`)).toEqual([{ body: 'four' }]);
  });
});
