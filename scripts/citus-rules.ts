// The rules a schema must keep to run on Citus distributed by member id, read from pg_catalog.
// `npm run -s check:citus` (scripts/citus-check.ts) applies them to a freshly migrated database
// with the classification in scripts/citus-shape.ts; test/citus-shape.pg.test.ts shows each
// rule catching its violation. Citus itself is not installable here: these rules are what
// create_distributed_table and create_reference_table would refuse (docs/citus.md).
import type pg from 'pg';

/** How one table is placed on a Citus cluster. */
export type TableShape =
  /** Sharded by member, co-located with `member` (distribution column `id` on `member`, `member_id` elsewhere). */
  | { kind: 'distributed'; note?: string }
  /** Catalog data copied to every node: read everywhere, written rarely. */
  | { kind: 'reference'; note?: string }
  /** Kept on the coordinator only; `reason` says why it is neither of the others. */
  | { kind: 'local'; reason: string };

/** A violation the schema is known to have still, with why it is not fixed yet (the list may only shrink). */
export interface KnownViolation {
  /** The violation exactly as the check prints it. */
  violation: string;
  /** Why it is not fixed yet and what fixing it takes. */
  why: string;
}

export interface CitusRulesOptions {
  /** The schema to read. @default 'public' */
  schema?: string;
  /** Every table of the schema, classified. */
  tables: Readonly<Record<string, TableShape>>;
  /** The table sharded on its own id, every other distributed table co-located with it. @default 'member' */
  rootTable?: string;
  /** The distribution column of every distributed table but the root. @default 'member_id' */
  memberColumn?: string;
}

/** One broken rule: `table`, the constraint or column it is about, the rule's name and a plain sentence. */
export interface Violation {
  table: string;
  subject: string;
  rule: CitusRule;
  message: string;
}

export type CitusRule =
  | 'classified'
  | 'distribution-column'
  | 'unique-includes-distribution-column'
  | 'foreign-key-co-located'
  | 'foreign-key-action'
  | 'reference-to-distributed'
  | 'distributed-local';

/** The line the check prints for a violation (and what a known violation must equal). */
export function formatViolation(v: Violation): string {
  return `${v.table}: ${v.subject}: ${v.message} [${v.rule}]`;
}

interface ColumnRow { table: string; column: string; attnum: number; not_null: boolean; type: string }
interface UniqueRow { table: string; name: string; kind: 'p' | 'u' | 'x' | null; columns: string[] | null; expression: boolean; partial: boolean }
interface ForeignKeyRow {
  table: string; name: string; columns: string[]; referenced: string; referenced_columns: string[];
  on_delete: string; on_update: string; set_columns: string[] | null;
}

/** Reads the schema and returns every violation of the rules, sorted. */
export async function findCitusViolations(client: pg.ClientBase, options: CitusRulesOptions): Promise<Violation[]> {
  const schema = options.schema ?? 'public';
  const root = options.rootTable ?? 'member';
  const memberColumn = options.memberColumn ?? 'member_id';
  const distributionColumn = (table: string) => (table === root ? 'id' : memberColumn);
  const shapes = options.tables;
  const kindOf = (table: string) => shapes[table]?.kind;

  const tables = (await client.query<{ table: string }>(
    `select c.relname as table from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relkind in ('r', 'p') and not c.relispartition order by 1`, [schema])).rows.map((r) => r.table);
  const columns = (await client.query<ColumnRow>(
    `select c.relname as table, a.attname as column, a.attnum, a.attnotnull as not_null, format_type(a.atttypid, a.atttypmod) as type
       from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped`, [schema])).rows;
  // Every unique index (primary keys and unique constraints are backed by one) and exclusion constraint,
  // with its key columns (not INCLUDE columns); an expression key column is null.
  const uniques = (await client.query<UniqueRow>(
    `select t.relname as table, coalesce(con.conname, ic.relname) as name, con.contype as kind,
            array(select a.attname::text from unnest((i.indkey::int2[])[0:i.indnkeyatts - 1]) k
                   left join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k) as columns,
            i.indexprs is not null as expression, i.indpred is not null as partial
       from pg_index i
       join pg_class t on t.oid = i.indrelid join pg_namespace n on n.oid = t.relnamespace
       join pg_class ic on ic.oid = i.indexrelid
       left join pg_constraint con on con.conindid = i.indexrelid and con.conrelid = i.indrelid and con.contype in ('p', 'u', 'x')
      where n.nspname = $1 and (i.indisunique or con.contype = 'x')`, [schema])).rows;
  const foreignKeys = (await client.query<ForeignKeyRow>(
    `select t.relname as table, con.conname as name, r.relname as referenced,
            array(select a.attname::text from unnest(con.conkey) with ordinality k(n, o) join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.n order by k.o) as columns,
            array(select a.attname::text from unnest(con.confkey) with ordinality k(n, o) join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.n order by k.o) as referenced_columns,
            con.confdeltype as on_delete, con.confupdtype as on_update,
            case when con.confdelsetcols is null then null else
              array(select a.attname::text from unnest(con.confdelsetcols) k(n) join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.n) end as set_columns
       from pg_constraint con
       join pg_class t on t.oid = con.conrelid join pg_namespace n on n.oid = t.relnamespace
       join pg_class r on r.oid = con.confrelid
      where n.nspname = $1 and con.contype = 'f'`, [schema])).rows;

  const violations: Violation[] = [];
  const add = (table: string, subject: string, rule: CitusRule, message: string) => violations.push({ table, subject, rule, message });

  const present = new Set(tables);
  for (const table of tables) {
    if (!shapes[table]) add(table, 'table', 'classified', 'not classified: add it to scripts/citus-shape.ts as distributed, reference or local (with its reason)');
  }
  for (const table of Object.keys(shapes)) {
    if (!present.has(table)) add(table, 'table', 'classified', `classified as ${shapes[table]!.kind} but not in the schema: remove it from scripts/citus-shape.ts`);
  }

  const rootKey = columns.find((c) => c.table === root && c.column === 'id');
  for (const table of tables.filter((t) => kindOf(t) === 'distributed')) {
    const column = distributionColumn(table);
    const found = columns.find((c) => c.table === table && c.column === column);
    if (!found) {
      add(table, column, 'distribution-column', `has no ${column} column (every distributed table carries the distribution column)`);
    } else if (!found.not_null) {
      add(table, column, 'distribution-column', `${column} is nullable (the distribution column is NOT NULL)`);
    }
    if (found && rootKey && found.type !== rootKey.type) {
      add(table, column, 'distribution-column', `${column} is ${found.type}, ${root}.id is ${rootKey.type} (co-located tables share the distribution column's type)`);
    }
    for (const unique of uniques.filter((u) => u.table === table)) {
      if ((unique.columns ?? []).includes(column)) continue;
      const what = unique.kind === 'p' ? 'primary key' : unique.kind === 'u' ? 'unique constraint' : unique.kind === 'x' ? 'exclusion constraint' : 'unique index';
      add(table, `${what} ${unique.name} (${keyList(unique)})`, 'unique-includes-distribution-column', `does not include ${column}`);
    }
  }

  for (const fk of foreignKeys) {
    const from = kindOf(fk.table);
    const to = kindOf(fk.referenced);
    if (!from || !to) continue; // reported as unclassified above
    const subject = `foreign key ${fk.name} (${fk.columns.join(', ')}) → ${fk.referenced} (${fk.referenced_columns.join(', ')})`;
    if (from === 'reference' && to === 'distributed') {
      add(fk.table, subject, 'reference-to-distributed', 'a reference table cannot reference a distributed table');
    } else if ((from === 'distributed' && to === 'local') || (from === 'local' && to === 'distributed')) {
      add(fk.table, subject, 'distributed-local', `a ${from} table cannot reference a ${to} table (they live on different nodes)`);
    } else if (from === 'distributed' && to === 'distributed') {
      const mine = distributionColumn(fk.table);
      const theirs = distributionColumn(fk.referenced);
      const position = fk.columns.indexOf(mine);
      if (position < 0 || fk.referenced_columns[position] !== theirs) {
        add(fk.table, subject, 'foreign-key-co-located', `does not pair ${fk.table}.${mine} with ${fk.referenced}.${theirs} (a foreign key between distributed tables includes the distribution column on both sides)`);
        continue;
      }
      // Citus refuses to change the distribution column through a foreign key action.
      const nulled = fk.set_columns ?? fk.columns;
      if ((fk.on_delete === 'n' || fk.on_delete === 'd') && nulled.includes(mine)) {
        add(fk.table, subject, 'foreign-key-action', `ON DELETE SET ${fk.on_delete === 'n' ? 'NULL' : 'DEFAULT'} would change ${mine} (name only the other columns, or use NO ACTION or CASCADE)`);
      }
      if (fk.on_update === 'c' || fk.on_update === 'n' || fk.on_update === 'd') {
        add(fk.table, subject, 'foreign-key-action', `ON UPDATE ${fk.on_update === 'c' ? 'CASCADE' : fk.on_update === 'n' ? 'SET NULL' : 'SET DEFAULT'} is refused when the key includes the distribution column (use NO ACTION)`);
      }
    }
  }
  return violations.map((v) => [formatViolation(v), v] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
}

function keyList(unique: UniqueRow): string {
  const key = (unique.columns ?? []).map((c) => c ?? '(expression)').join(', ');
  return unique.partial ? `${key} where …` : key;
}

/** The outcome of comparing what was found with the known list: both lists fail the check when not empty. */
export interface CitusCheckOutcome {
  /** Violations found and not in the known list. */
  unexpected: string[];
  /** Known violations no longer found: remove them from the list. */
  fixed: string[];
  /** Known violations still found. */
  remaining: string[];
}

export function compareWithKnown(found: readonly Violation[], known: readonly KnownViolation[]): CitusCheckOutcome {
  const lines = found.map(formatViolation);
  const listed = new Set(known.map((k) => k.violation));
  const foundSet = new Set(lines);
  return {
    unexpected: lines.filter((line) => !listed.has(line)),
    fixed: known.map((k) => k.violation).filter((line) => !foundSet.has(line)),
    remaining: lines.filter((line) => listed.has(line)),
  };
}
