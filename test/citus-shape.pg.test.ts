// The Citus shape check (npm run check:citus, docs/citus.md): each rule catches the violation it
// names on scratch tables, and the migrated schema has no violation beyond the known list.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareWithKnown, findCitusViolations, formatViolation, type TableShape, type Violation } from '../scripts/citus-rules.js';
import { citusTables, knownCitusViolations } from '../scripts/citus-shape.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

let db: TestDatabase;
let client: pg.Client;

beforeAll(async () => {
  db = await createTestDatabase();
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
});

afterAll(async () => {
  await client?.end();
  await db?.drop();
});

describe('the migrated schema', () => {
  it('has every table classified and no violation beyond the known list, each of which still occurs', async () => {
    const found = await findCitusViolations(client, { tables: citusTables });
    const outcome = compareWithKnown(found, knownCitusViolations);
    expect(outcome.unexpected).toEqual([]);
    expect(outcome.fixed).toEqual([]);
    expect(outcome.remaining).toHaveLength(knownCitusViolations.length);
  });

  it('gives every local table a reason', () => {
    for (const [table, shape] of Object.entries(citusTables)) {
      if (shape.kind === 'local') expect(shape.reason, table).toMatch(/\S{3}/);
    }
  });
});

describe('each rule on scratch tables', () => {
  const schema = 'citus_rules';
  const distributed: TableShape = { kind: 'distributed' };
  const reference: TableShape = { kind: 'reference' };
  const tables: Record<string, TableShape> = {
    member: distributed,
    good: distributed,
    no_member: distributed,
    nullable_member: distributed,
    text_member: distributed,
    pk_without: distributed,
    unique_without: distributed,
    fk_not_colocated: distributed,
    fk_actions: distributed,
    to_local: distributed,
    catalog: reference,
    catalog_to_member: reference,
    job: { kind: 'local', reason: 'a job table' },
    job_to_member: { kind: 'local', reason: 'a job table naming a member' },
    gone: reference,
  };
  let found: Violation[];
  const rulesOf = (table: string) => found.filter((v) => v.table === table).map((v) => v.rule);

  beforeAll(async () => {
    await client.query(`
      create schema ${schema};
      set search_path = ${schema};
      create table member (id uuid primary key, issuer text not null, subject text not null, unique (issuer, subject));
      create table catalog (id uuid primary key);
      -- Keeps every rule: member_id NOT NULL in every key, foreign keys to the member and to a reference table.
      create table good (member_id uuid not null references member (id) on delete cascade, id uuid not null, catalog_id uuid references catalog (id) on delete set null,
                         code text not null, primary key (member_id, id), unique (member_id, code));
      create table no_member (id uuid primary key);
      create table nullable_member (member_id uuid, id uuid not null, unique (member_id, id));
      create table text_member (member_id text not null, id uuid not null, primary key (member_id, id));
      create table pk_without (id uuid primary key, member_id uuid not null);
      create table unique_without (member_id uuid not null, id uuid not null, code text not null, primary key (member_id, id), unique (code));
      create unique index unique_without_live on unique_without (id) where code <> '';
      create table fk_not_colocated (member_id uuid not null, id uuid not null, good_member_id uuid not null, good_id uuid not null, primary key (member_id, id),
                                     foreign key (good_member_id, good_id) references good (member_id, id));
      create table fk_actions (member_id uuid not null, id uuid not null, primary key (member_id, id),
                               constraint fk_actions_update foreign key (member_id) references member (id) on update cascade,
                               constraint fk_actions_null foreign key (member_id, id) references good (member_id, id) on delete set null);
      create table job (id uuid primary key, member_id uuid references member (id));
      create table to_local (member_id uuid not null, id uuid not null, job_id uuid references job (id), primary key (member_id, id));
      create table catalog_to_member (id uuid primary key, member_id uuid references member (id));
      create table job_to_member (id uuid primary key, catalog_id uuid references catalog (id));
      create table unlisted (id uuid primary key);
      reset search_path;
    `);
    found = await findCitusViolations(client, { schema, tables });
  });

  afterAll(async () => {
    await client.query(`drop schema ${schema} cascade`);
  });

  it('passes a distributed table that names the member in every key, and foreign keys to the member and to reference tables', () => {
    expect(rulesOf('good')).toEqual([]);
    expect(rulesOf('job_to_member')).toEqual([]); // local → reference is fine
  });

  it('fails a table that is not classified, and a classified table that is not in the schema', () => {
    expect(found.filter((v) => v.rule === 'classified').map(formatViolation)).toEqual([
      'gone: table: classified as reference but not in the schema: remove it from scripts/citus-shape.ts [classified]',
      'unlisted: table: not classified: add it to scripts/citus-shape.ts as distributed, reference or local (with its reason) [classified]',
    ]);
  });

  it('fails a distributed table without member_id, with a nullable one, or with one of another type than member.id', () => {
    expect(found.filter((v) => v.table === 'no_member').map(formatViolation)).toEqual([
      'no_member: member_id: has no member_id column (every distributed table carries the distribution column) [distribution-column]',
      'no_member: primary key no_member_pkey (id): does not include member_id [unique-includes-distribution-column]',
    ]);
    expect(found.filter((v) => v.table === 'nullable_member').map(formatViolation)).toEqual([
      'nullable_member: member_id: member_id is nullable (the distribution column is NOT NULL) [distribution-column]',
    ]);
    expect(found.filter((v) => v.table === 'text_member').map(formatViolation)).toEqual([
      'text_member: member_id: member_id is text, member.id is uuid (co-located tables share the distribution column\'s type) [distribution-column]',
    ]);
  });

  it('fails a primary key, unique constraint or unique index without the distribution column (id on member)', () => {
    expect(found.filter((v) => v.rule === 'unique-includes-distribution-column' && v.table !== 'no_member').map(formatViolation)).toEqual([
      'member: unique constraint member_issuer_subject_key (issuer, subject): does not include id [unique-includes-distribution-column]',
      'pk_without: primary key pk_without_pkey (id): does not include member_id [unique-includes-distribution-column]',
      'unique_without: unique constraint unique_without_code_key (code): does not include member_id [unique-includes-distribution-column]',
      'unique_without: unique index unique_without_live (id where …): does not include member_id [unique-includes-distribution-column]',
    ]);
  });

  it('fails a foreign key between distributed tables that does not pair member_id with member_id', () => {
    expect(found.filter((v) => v.table === 'fk_not_colocated').map(formatViolation)).toEqual([
      'fk_not_colocated: foreign key fk_not_colocated_good_member_id_good_id_fkey (good_member_id, good_id) → good (member_id, id): does not pair fk_not_colocated.member_id with good.member_id (a foreign key between distributed tables includes the distribution column on both sides) [foreign-key-co-located]',
    ]);
  });

  it('fails ON UPDATE CASCADE and ON DELETE SET NULL on a foreign key through the distribution column', () => {
    expect(found.filter((v) => v.table === 'fk_actions').map(formatViolation)).toEqual([
      'fk_actions: foreign key fk_actions_null (member_id, id) → good (member_id, id): ON DELETE SET NULL would change member_id (name only the other columns, or use NO ACTION or CASCADE) [foreign-key-action]',
      'fk_actions: foreign key fk_actions_update (member_id) → member (id): ON UPDATE CASCADE is refused when the key includes the distribution column (use NO ACTION) [foreign-key-action]',
    ]);
  });

  it('fails a reference table that references a distributed one', () => {
    expect(rulesOf('catalog_to_member')).toEqual(['reference-to-distributed']);
  });

  it('fails a foreign key between a distributed and a local table, either way', () => {
    expect(rulesOf('to_local')).toEqual(['distributed-local']);
    expect(rulesOf('job')).toEqual(['distributed-local']);
  });

  it('tells new violations from known ones, and known ones that no longer occur', () => {
    const lines = found.map(formatViolation);
    const outcome = compareWithKnown(found, [
      { violation: lines[0]!, why: 'known' },
      { violation: 'good: table: fixed long ago [classified]', why: 'fixed' },
    ]);
    expect(outcome.remaining).toEqual([lines[0]]);
    expect(outcome.unexpected).toEqual(lines.slice(1));
    expect(outcome.fixed).toEqual(['good: table: fixed long ago [classified]']);
  });
});
