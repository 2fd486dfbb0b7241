// Issue 4 item 9: a seeded, schema-driven generator of GraphQL operations for the fuzz test.
// It knows nothing of individual root fields: every field of Query and Mutation in the API
// schema gets valid selection sets and argument values that mix plausible ones (taken from
// a pool of values seen in earlier responses), edge values, wrong types (through variables)
// and the odd invalid document or malformed request, so a field added to the schema is fuzzed
// without a change here.
import fs from 'node:fs';
import {
  buildSchema,
  getNamedType,
  getNullableType,
  isAbstractType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';

/** The public API schema, as clients see it. */
export function loadApiSchema(): GraphQLSchema {
  return buildSchema(fs.readFileSync(new URL('../../schema/api.graphql', import.meta.url), 'utf8'));
}

// ---------------------------------------------------------------------------------------
// Randomness: mulberry32, one stream per operation so operation i only depends on the seed,
// i and the pool it sees (not on how many draws earlier operations made).

/** A small seeded PRNG (mulberry32) with the helpers the generator needs. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = Math.imul(this.state ^ (this.state >>> 15), 1 | this.state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick from an empty list');
    return items[Math.floor(this.next() * items.length)]!;
  }

  weighted<T>(entries: ReadonlyArray<readonly [T, number]>): T {
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let r = this.next() * total;
    for (const [value, weight] of entries) {
      r -= weight;
      if (r < 0) return value;
    }
    return entries[entries.length - 1]![0];
  }

  /** A random subset, in random order. */
  sample<T>(items: readonly T[], n: number): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy.slice(0, Math.max(0, Math.min(n, copy.length)));
  }

  /** A version-4-shaped UUID from this stream (an id of nothing, reproducibly). */
  uuid(): string {
    const hex = Array.from({ length: 32 }, () => this.int(0, 15).toString(16));
    hex[12] = '4';
    hex[16] = '89ab'[this.int(0, 3)]!;
    const s = hex.join('');
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  }

  string(length: number, alphabet: string): string {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[this.int(0, alphabet.length - 1)];
    return out;
  }
}

/** The seed of operation `index`'s own stream. */
export function operationSeed(seed: number, index: number): number {
  let h = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

// ---------------------------------------------------------------------------------------
// The pool of values seen: by `Type.field` (e.g. `Entitlement.id`, `EntitlementToken.token`).

/**
 * Values seen in responses (and seeded fixtures), newest kept, by `Type.field`; each also
 * under the caller it was seen by, so a member mostly aims at its own ids (and sometimes
 * at someone else's).
 */
export class ValuePool {
  private readonly byKey = new Map<string, string[]>();

  constructor(private readonly capacity = 64) {}

  /** Keeps `value` under `key`, and under `caller` too when given. */
  add(key: string, value: unknown, caller?: string): void {
    if (typeof value !== 'string' && typeof value !== 'number') return;
    const text = String(value);
    if (text.length === 0 || text.length > 10_000) return;
    this.push(key, text);
    if (caller !== undefined) this.push(`${caller}|${key}`, text);
  }

  private push(key: string, text: string): void {
    let list = this.byKey.get(key);
    if (!list) this.byKey.set(key, (list = []));
    const at = list.indexOf(text);
    if (at >= 0) list.splice(at, 1);
    list.push(text);
    if (list.length > this.capacity) list.shift();
  }

  /** The values under `key`, as seen by anyone or (with `caller`) by that caller. */
  get(key: string, caller?: string): readonly string[] {
    return this.byKey.get(caller === undefined ? key : `${caller}|${key}`) ?? [];
  }

  /** Every `Type.field` key whose field part is `field`. */
  keysForField(field: string): string[] {
    return this.keys().filter((k) => k.endsWith(`.${field}`));
  }

  /** Every `Type.field` key (not the per-caller copies). */
  keys(): string[] {
    return [...this.byKey.keys()].filter((k) => !k.includes('|'));
  }

  /** Walks a response along the shape its operation selected and keeps every leaf value. */
  harvest(shape: Shape, data: unknown, caller?: string): void {
    if (data === null || data === undefined) return;
    if (Array.isArray(data)) {
      for (const item of data) this.harvest(shape, item, caller);
      return;
    }
    if (typeof data !== 'object') return;
    for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
      const node = shape.get(key);
      if (!node) continue;
      if (node.children) this.harvest(node.children, value, caller);
      else if (Array.isArray(value)) value.forEach((v) => this.add(`${node.owner}.${node.field}`, v, caller));
      else this.add(`${node.owner}.${node.field}`, value, caller);
    }
  }
}

/** What an operation selected, by response key: which field of which type, and below it. */
export type Shape = Map<string, { owner: string; field: string; children?: Shape }>;

// ---------------------------------------------------------------------------------------
// Edge values. None of them may look like a leak (see LEAK_PATTERNS): they are echoed back
// in error messages.

const LONG = 10_000;

/** Strings no sane client sends: empty, huge, exotic unicode, NUL, injection-shaped, path-shaped. */
export const EDGE_STRINGS: readonly string[] = [
  '',
  ' ',
  '\t\n ',
  'x'.repeat(LONG),
  '界'.repeat(LONG / 3),
  '😀👨‍👩‍👧‍👦🇨🇳',
  '上海',
  'Ω≈ç√∫˜µ≤',
  '\u0000',
  'abc\u0000def',
  '\ud800',
  'a\udfffb',
  '\u202eRTL',
  '\u200b\ufeff',
  'a\r\nb',
  "' or 1=1 --",
  "'; drop table entitlement; --",
  '" or ""="',
  "1' and sleep(5) --",
  '%',
  '%%%',
  '_',
  '%_\\',
  '\\',
  '\\\\x00',
  '../../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  'file:///etc/passwd',
  '/dev/zero',
  '{"$ne":null}',
  '{"a":[1,2,{"b":null}],"__proto__":{"x":1}}',
  '[]',
  'null',
  'undefined',
  'NaN',
  '-0',
  '1e309',
  'true',
  '<script>alert(1)</script>',
  '${jndi:ldap://127.0.0.1/a}',
  '{{7*7}}',
  '__proto__',
  'constructor',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '123e4567-e89b-12d3-a456-42661417400',
  'g23e4567-e89b-12d3-a456-426614174000',
  '{123e4567-e89b-12d3-a456-426614174000}',
  '123e4567e89b12d3a456426614174000',
  'AAAA',
  '////',
  '====',
  'eyJhbGciOiJub25lIiwidHlwIjoiZW50aXRsZW1lbnQrand0In0.eyJzdWIiOiJ4IiwiYXVkIjoic3Bhcmt3YXNoIn0.',
  'eyJhbGciOiJFZERTQSIsImtpZCI6Ii4uLy4uL2V0Yy9wYXNzd2QifQ.eyJlbnQiOiInIG9yIDE9MSAtLSJ9.c2ln',
  'a.b.c',
  '..',
  'eyJ.eyJ.',
  'r1:',
  'cjE6MTox',
];

const EDGE_INTS: readonly number[] = [0, -1, 1, 2, 200, 201, 1000, 1001, 2147483647, -2147483648, 2147483648, -2147483649, 9007199254740991, 1.5, -0.5];
const EDGE_FLOATS: readonly number[] = [0, -1, 1.5, 1e308, -1e308, 5e-324, 9007199254740993];
const EDGE_SAFE_INTS: readonly number[] = [0, -1, 9007199254740991, -9007199254740991, 9007199254740992, 1.5];
const EDGE_DATES: readonly string[] = [
  '1970-01-01T00:00:00.000Z',
  '0000-01-01T00:00:00.000Z',
  '9999-12-31T23:59:59.999Z',
  '+275760-09-13T00:00:00.000Z',
  '-271821-04-20T00:00:00.000Z',
  '2026-02-30T00:00:00.000Z',
  '2026-13-01T00:00:00.000Z',
  '2026-01-01',
  '2026-01-01T00:00:00+14:00',
  '2026-01-01T25:61:61Z',
  '9999-12-31T23:00:00-02:00',
  '0001-01-01T00:00:00+01:00',
  'not-a-date',
  '',
  '2026-01-01T00:00:00.000Z\u0000',
  '1e309',
];

/** Bearer values that are no credential: header-safe (fetch refuses CR, LF, NUL and non-Latin-1). */
export const GARBAGE_BEARERS: readonly string[] = [
  'garbage',
  'null',
  'Bearer',
  'x'.repeat(8000),
  'eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhZG1pbiIsInJvbGVzIjpbImFkbWluIl19.',
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.AAAA',
  "' or 1=1 --",
  'ck_sparkwash_0000000000000000000000000000000000000000',
  '../../etc/passwd',
  'a.b.c',
  '%00',
];

// ---------------------------------------------------------------------------------------
// The generator.

/** One generated operation, everything needed to send and to reproduce it. */
export interface FuzzOperation {
  index: number;
  /** The operation's own seed (derived from the run's seed and the index). */
  seed: number;
  root: 'Query' | 'Mutation';
  /** The root field it targets. */
  field: string;
  caller: string;
  bearer: string | undefined;
  query: string;
  variables: Record<string, unknown>;
  /** Sent as `operationName` when set. */
  operationName?: string;
  /** A raw request body sent instead of `{ query, variables, operationName }` (a malformed request). */
  body?: string;
  /** Deliberate defects: `missing-argument`, `wrong-type`, `unknown-field`, … (empty for a well-formed operation). */
  tweaks: string[];
  /** Response keys to the fields they select, for harvesting. */
  shape: Shape;
}

/** Tweaks that make the request invalid: it must be refused with an error and no data. */
export const REFUSED_TWEAKS = new Set([
  'missing-argument',
  'unknown-argument',
  'unknown-field',
  'unknown-root-field',
  'variable-type-mismatch',
  'undeclared-variable',
  'parse-error',
  'unknown-operation-name',
  'ambiguous-operation',
  'subscription-operation',
  'malformed-body',
  'wrong-type',
]);

/** Plausible values for an argument by its name, beyond what the pool has seen. */
export type ArgumentHint = (rng: Rng, pool: ValuePool, at: { caller: string; field: string }) => unknown;

export interface FuzzGeneratorOptions {
  schema: GraphQLSchema;
  seed: number;
  pool: ValuePool;
  /** Callers by name, each with the bearer values it may send (`[undefined]` for anonymous). */
  callers: Record<string, ReadonlyArray<string | undefined>>;
  /** Extra plausible values by argument name (merged over {@link DEFAULT_HINTS}). */
  hints?: Record<string, ArgumentHint>;
}

/** What any run knows about arguments by name; a field the schema gains later gets the generic treatment. */
export const DEFAULT_HINTS: Record<string, ArgumentHint> = {
  idempotencyKey: (rng) => (rng.chance(0.7) ? `fuzz-${rng.int(0, 40)}` : `fuzz-${rng.uuid()}`),
  units: (rng) => rng.weighted([[1, 8], [2, 2], [3, 1], [4, 1], [5, 0.5]]),
  first: (rng) => rng.weighted([[1, 2], [2, 2], [10, 2], [50, 1], [200, 1]]),
  limit: (rng) => rng.int(1, 50),
  city: (rng) => rng.pick(['Shanghai', '上海', 'Beijing', '北京', 'shanghai']),
  reason: (rng) => rng.pick(['scanned twice', 'wrong member', 'test', '误操作']),
  codes: (rng) => Array.from({ length: rng.weighted([[1, 4], [3, 3], [20, 1]]) }, () => `FUZZ-${rng.int(0, 999)}`),
  planCode: (rng) => rng.pick(['PLUS', 'PLUS', 'PLUS', 'BASIC', 'plus']),
};

/** Argument names whose plausible values are another field's values (`after` is a cursor). */
const FIELD_ALIASES: Record<string, string[]> = { after: ['endCursor', 'cursor'], before: ['startCursor', 'cursor'] };

interface BuildContext {
  rng: Rng;
  caller: string;
  /** Plausible values only, no deliberate defects: reaches the code behind validation. */
  clean: boolean;
  varDefs: string[];
  variables: Record<string, unknown>;
  fragments: string[];
  counter: number;
  tweaks: string[];
  /** Literals only, no variables. */
  inline: boolean;
  /** A deliberate document defect still to place (consumed once placed). */
  pendingDefect: 'unknown-field' | 'unknown-argument' | 'variable-type-mismatch' | 'undeclared-variable' | undefined;
  maxDepth: number;
  /** The root field whose required argument is left out (`missing-argument`). */
  omitRequired: boolean;
}

/**
 * Generates operations for every root field of `schema`: seeded, one random stream per
 * operation index, argument values drawn from `pool` as it grows. Call {@link observe}
 * with each response, in index order, so later operations use what earlier ones got back.
 */
export class FuzzGenerator {
  readonly rootFields: ReadonlyArray<{ root: 'Query' | 'Mutation'; field: GraphQLField<unknown, unknown> }>;
  private readonly hints: Record<string, ArgumentHint>;
  /** Per `field|caller`: how often a call got past authentication and authorization. */
  private readonly admitted = new Map<string, number>();

  constructor(private readonly options: FuzzGeneratorOptions) {
    const roots: Array<{ root: 'Query' | 'Mutation'; field: GraphQLField<unknown, unknown> }> = [];
    for (const root of ['Query', 'Mutation'] as const) {
      const type = root === 'Query' ? options.schema.getQueryType() : options.schema.getMutationType();
      for (const field of Object.values(type?.getFields() ?? {})) roots.push({ root, field });
    }
    if (roots.length === 0) throw new Error('The schema has no Query or Mutation fields to fuzz');
    this.rootFields = roots;
    this.hints = { ...DEFAULT_HINTS, ...options.hints };
  }

  next(index: number): FuzzOperation {
    const seed = operationSeed(this.options.seed, index);
    const rng = new Rng(seed);
    const { root, field } = rng.pick(this.rootFields);
    const caller = this.pickCaller(rng, field.name);
    const bearer = rng.pick(this.options.callers[caller]!);

    const clean = rng.chance(0.35);
    const ctx: BuildContext = {
      rng,
      caller,
      clean,
      varDefs: [],
      variables: {},
      fragments: [],
      counter: 0,
      tweaks: [],
      inline: rng.chance(0.15),
      pendingDefect: clean ? undefined : rng.weighted([
        [undefined, 92],
        ['unknown-field', 2],
        ['unknown-argument', 2],
        ['variable-type-mismatch', 2],
        ['undeclared-variable', 1],
      ] as const),
      maxDepth: rng.weighted([[1, 1], [2, 3], [3, 4], [4, 3], [6, 1]]),
      omitRequired: !clean && rng.chance(0.04),
    };
    if (ctx.inline && (ctx.pendingDefect === 'variable-type-mismatch' || ctx.pendingDefect === 'undeclared-variable')) ctx.pendingDefect = undefined;

    const shape: Shape = new Map();
    const unknownRoot = !clean && rng.chance(0.015);
    let selections: string;
    if (unknownRoot) {
      ctx.tweaks.push('unknown-root-field');
      selections = `${field.name}Nope${this.fieldArgs(ctx, field, true)} { __typename }`;
    } else {
      selections = this.fieldCall(ctx, root, field, shape, 1, true);
      // Now and then a second root field in the same operation (mutations run in order).
      if (rng.chance(0.05)) {
        const other = rng.pick(this.rootFields.filter((r) => r.root === root));
        const alias = `second${ctx.counter++}`;
        const sub: Shape = new Map();
        selections += ` ${this.fieldCall(ctx, root, other.field, sub, 1, false, alias)}`;
        for (const [k, v] of sub) shape.set(k, v);
      }
    }
    if (ctx.pendingDefect === 'unknown-field') {
      // No object selection took it (a scalar root): put it at the root.
      selections += ' fuzzNoSuchField';
      ctx.tweaks.push('unknown-field');
      ctx.pendingDefect = undefined;
    }
    if (ctx.pendingDefect === 'undeclared-variable') {
      // Used but never declared.
      ctx.tweaks.push('undeclared-variable');
      selections += ` __typename @include(if: $undeclared${ctx.counter++})`;
      ctx.pendingDefect = undefined;
    }

    // Now and then as a subscription, which this schema (without a Subscription type) must refuse.
    const asSubscription = !clean && !this.options.schema.getSubscriptionType() && rng.chance(0.01);
    if (asSubscription) ctx.tweaks.push('subscription-operation');
    const keyword = asSubscription ? 'subscription' : root === 'Query' ? 'query' : 'mutation';
    const name = rng.chance(0.3) ? ` Fuzz${index}` : '';
    const defs = ctx.varDefs.length ? `(${ctx.varDefs.join(', ')})` : '';
    let query =
      keyword === 'query' && !name && !defs && rng.chance(0.5) ? `{ ${selections} }` : `${keyword}${name}${defs} { ${selections} }`;
    if (ctx.fragments.length) query += `\n${ctx.fragments.join('\n')}`;
    // The operation to run: named right (sometimes), named wrong, or one of two without a name.
    let operationName: string | undefined = name && rng.chance(0.5) ? name.trim() : undefined;
    const nameDefect = clean ? undefined : rng.weighted([[undefined, 96], ['unknown-operation-name', 2], ['ambiguous-operation', 2]] as const);
    if (nameDefect === 'unknown-operation-name') {
      operationName = rng.pick(['Nope', '', ' ', 'x'.repeat(300)]);
      if (operationName === '') operationName = undefined;
      else ctx.tweaks.push(nameDefect);
    } else if (nameDefect === 'ambiguous-operation') {
      query += `\nquery Other${index} { __typename }`;
      // Fine only when ours is named and asked for by name.
      operationName = name && rng.chance(0.5) ? name.trim() : undefined;
      if (!operationName) ctx.tweaks.push(nameDefect);
    }
    if (!clean && rng.chance(0.015)) {
      ctx.tweaks.push('parse-error');
      // Cut short and left open, or closed once too often: never a valid document.
      query = rng.chance(0.5) ? `${query.slice(0, rng.int(0, query.length - 1))} {` : `${query} }`;
    }
    // A malformed request instead (only for an otherwise sound operation: the raw body
    // drops operationName, which a defect above may rely on).
    let body: string | undefined;
    if (!clean && ctx.tweaks.length === 0 && rng.chance(0.015)) {
      const odd = oddBody(rng, query, ctx.variables);
      ctx.tweaks.push(odd.refused ? 'malformed-body' : 'odd-body');
      body = odd.body;
    }
    return {
      index,
      seed,
      root,
      field: field.name,
      caller,
      bearer,
      query,
      variables: ctx.variables,
      ...(operationName !== undefined ? { operationName } : {}),
      ...(body !== undefined ? { body } : {}),
      tweaks: ctx.tweaks,
      shape,
    };
  }

  /** Learns from a response: keeps the values it carried and whether the caller got past authorization. */
  observe(op: FuzzOperation, body: { data?: unknown; errors?: Array<{ path?: unknown; extensions?: { code?: unknown } }> } | undefined): void {
    if (!body) return;
    this.options.pool.harvest(op.shape, body.data, op.caller);
    const errors = Array.isArray(body.errors) ? body.errors : [];
    const codes = errors.map((e) => e?.extensions?.code);
    const refused = codes.includes('UNAUTHENTICATED') || codes.includes('FORBIDDEN');
    // The field ran (a request error, a validation one say, says nothing about the caller).
    const ran = (body.data !== null && typeof body.data === 'object' && Object.keys(body.data).length > 0) || errors.some((e) => Array.isArray(e?.path));
    if (!refused && ran) {
      const key = `${op.field}|${op.caller}`;
      this.admitted.set(key, (this.admitted.get(key) ?? 0) + 1);
    }
  }

  /** A third of the time any caller; otherwise one that was admitted to this field before (when any was). */
  private pickCaller(rng: Rng, field: string): string {
    const callers = Object.keys(this.options.callers);
    if (rng.chance(0.35)) return rng.pick(callers);
    const admitted = callers.filter((c) => (this.admitted.get(`${field}|${c}`) ?? 0) > 0);
    return rng.pick(admitted.length ? admitted : callers);
  }

  private fieldCall(
    ctx: BuildContext,
    owner: string,
    field: GraphQLField<unknown, unknown>,
    shape: Shape,
    depth: number,
    isRoot: boolean,
    forcedAlias?: string,
  ): string {
    const { rng } = ctx;
    const alias = forcedAlias ?? (rng.chance(0.1) ? `a${ctx.counter++}` : undefined);
    const key = alias ?? field.name;
    const args = this.fieldArgs(ctx, field, isRoot);
    const directive = rng.chance(0.03) ? rng.pick([' @include(if: true)', ' @skip(if: false)', ' @skip(if: true)']) : '';
    const named = getNamedType(field.type);
    if (isCompositeType(named)) {
      const children: Shape = new Map();
      const body = this.selectionSet(ctx, named, children, depth + 1);
      shape.set(key, { owner, field: field.name, children });
      return `${alias ? `${alias}: ` : ''}${field.name}${args}${directive} ${body}`;
    }
    shape.set(key, { owner, field: field.name });
    return `${alias ? `${alias}: ` : ''}${field.name}${args}${directive}`;
  }

  private fieldArgs(ctx: BuildContext, field: GraphQLField<unknown, unknown>, isRoot: boolean): string {
    const { rng } = ctx;
    const parts: string[] = [];
    const required = field.args.filter((a) => isNonNullType(a.type) && a.defaultValue === undefined);
    const omitted = isRoot && ctx.omitRequired && required.length ? rng.pick(required) : undefined;
    if (omitted) ctx.tweaks.push('missing-argument');
    for (const arg of field.args) {
      if (arg === omitted) continue;
      const isRequired = required.includes(arg);
      if (!isRequired && !rng.chance(0.6)) continue;
      parts.push(`${arg.name}: ${this.argumentValue(ctx, field, arg)}`);
    }
    if (ctx.pendingDefect === 'unknown-argument' && (isRoot || rng.chance(0.5))) {
      parts.push(`fuzzNoSuchArgument: ${rng.pick(['1', '"x"', 'null', '{ a: 1 }'])}`);
      ctx.tweaks.push('unknown-argument');
      ctx.pendingDefect = undefined;
    }
    return parts.length ? `(${parts.join(', ')})` : '';
  }

  /** A literal, or a variable declared at the operation with its value. */
  private argumentValue(ctx: BuildContext, field: GraphQLField<unknown, unknown>, arg: GraphQLArgument): string {
    const { rng } = ctx;
    const kind = ctx.clean ? 'plausible' : rng.weighted([['plausible', 45], ['edge', 43], ['wrong', 12]] as const);
    const asVariable = !ctx.inline && rng.chance(0.85);
    if (!asVariable) {
      // Wrong types as literals are validation errors; they are exercised through variables.
      const value = kind === 'plausible' ? this.plausible(ctx, arg.type, arg.name, field.name) : this.edge(ctx, arg.type, arg.name, field.name);
      return toLiteral(value, arg.type);
    }
    const name = `v${ctx.counter++}`;
    let declared = String(arg.type);
    if (ctx.pendingDefect === 'variable-type-mismatch') {
      declared = mismatchedType(arg.type);
      ctx.tweaks.push('variable-type-mismatch');
      ctx.pendingDefect = undefined;
    }
    // Sometimes a default in the declaration (the value may still be sent, or not).
    const withDefault = rng.chance(0.05) && isLeafType(getNamedType(arg.type)) && !isListType(getNullableType(arg.type));
    ctx.varDefs.push(`$${name}: ${declared}${withDefault ? ` = ${toLiteral(this.plausible(ctx, arg.type, arg.name, field.name), arg.type)}` : ''}`);
    if (kind === 'wrong') {
      const wrong = this.wrong(ctx, arg.type);
      // Leaving out the value of a required variable without a default is as wrong as null.
      const refused = wrong.value === OMIT ? isNonNullType(arg.type) && !withDefault : wrong.certain;
      if (refused && !ctx.tweaks.includes('wrong-type')) ctx.tweaks.push('wrong-type');
      if (wrong.value !== OMIT) ctx.variables[name] = wrong.value;
    } else {
      ctx.variables[name] = kind === 'plausible' ? this.plausible(ctx, arg.type, arg.name, field.name) : this.edge(ctx, arg.type, arg.name, field.name);
    }
    return `$${name}`;
  }

  private selectionSet(ctx: BuildContext, type: GraphQLCompositeType, shape: Shape, depth: number): string {
    const { rng } = ctx;
    if (isAbstractType(type)) {
      const possible = this.options.schema.getPossibleTypes(type);
      const chosen = rng.sample(possible, rng.int(1, possible.length));
      shape.set('__typename', { owner: type.name, field: '__typename' });
      const parts = chosen.map((p) => `... on ${p.name} ${this.selectionSet(ctx, p, shape, depth)}`);
      return `{ __typename ${parts.join(' ')} }`;
    }
    const object = type as GraphQLObjectType;
    const all = Object.values(object.getFields());
    const leaves = all.filter((f) => isLeafType(getNamedType(f.type)));
    const candidates = depth > ctx.maxDepth ? leaves : all;
    // Fields that feed the pool (ids, tokens, codes, cursors) are picked more often.
    const preferred = candidates.filter((f) => /^(id|token|code|key|cursor|endCursor|hasNextPage|partnerId)$/.test(f.name) && rng.chance(0.7));
    const rest = rng.sample(
      candidates.filter((f) => !preferred.includes(f)),
      rng.weighted([[1, 3], [2, 3], [3, 2], [5, 1], [candidates.length, 1]]),
    );
    const fields = [...preferred, ...rest];
    const selections: string[] = fields.map((f) => this.fieldCall(ctx, object.name, f, shape, depth, false));
    if (selections.length === 0 || rng.chance(0.1)) {
      const alias = rng.chance(0.3) ? `t${ctx.counter++}: ` : '';
      selections.push(`${alias}__typename`);
      shape.set(alias ? alias.slice(0, -2) : '__typename', { owner: object.name, field: '__typename' });
    }
    if (ctx.pendingDefect === 'unknown-field' && rng.chance(0.5)) {
      selections.splice(rng.int(0, selections.length), 0, rng.pick(['fuzzNoSuchField', 'id_', '__nope']));
      ctx.tweaks.push('unknown-field');
      ctx.pendingDefect = undefined;
    }
    // Now and then some of them in an inline fragment or a named fragment.
    if (selections.length > 1 && rng.chance(0.15)) {
      const cut = rng.int(1, selections.length - 1);
      const moved = selections.splice(cut);
      if (rng.chance(0.5)) {
        selections.push(`... on ${object.name} { ${moved.join(' ')} }`);
      } else {
        const fragment = `F${ctx.counter++}`;
        ctx.fragments.push(`fragment ${fragment} on ${object.name} { ${moved.join(' ')} }`);
        selections.push(`...${fragment}`);
      }
    }
    return `{ ${selections.join(' ')} }`;
  }

  // --- values ----------------------------------------------------------------------------

  /**
   * A well-typed value a real client could send: from a hint, seen before, or made up for the
   * type. Hints give a whole argument's value, so not for the items of a list (`nested`).
   */
  private plausible(ctx: BuildContext, type: GraphQLInputType, argName: string, fieldName: string, nested = false): unknown {
    const { rng } = ctx;
    const inner = getNullableType(type) as GraphQLInputType;
    const hint = nested ? undefined : this.hints[argName];
    if (hint && rng.chance(0.8)) return hint(rng, this.options.pool, { caller: ctx.caller, field: fieldName });
    if (isListType(inner)) {
      return Array.from({ length: rng.int(1, 3) }, () => this.plausible(ctx, inner.ofType, argName, fieldName, true));
    }
    if (isInputObjectType(inner)) {
      const out: Record<string, unknown> = {};
      for (const f of Object.values(inner.getFields())) {
        if ((isNonNullType(f.type) && f.defaultValue === undefined) || rng.chance(0.5)) out[f.name] = this.plausible(ctx, f.type, f.name, fieldName);
      }
      return out;
    }
    if (isEnumType(inner)) return rng.pick(inner.getValues()).name;
    const seen = this.seenValues(ctx, argName, fieldName);
    if (seen.length && rng.chance(0.85)) return rng.pick(seen);
    switch (inner.name) {
      case 'Int':
        return rng.int(1, 5);
      case 'SafeInt':
        return rng.int(0, 100_000);
      case 'Float':
        return rng.int(0, 1000) / 10;
      case 'Boolean':
        return rng.chance(0.5);
      case 'DateTimeISO':
        return plausibleDate(rng);
      case 'ID':
        return rng.uuid();
      default:
        return rng.pick(['x', 'hello', 'PLUS', 'CAR_WASH', 'COFFEE', 'sparkwash', 'brewbar', `fuzz-${rng.int(0, 99)}`]);
    }
  }

  /** Well-typed (as far as GraphQL can tell) but at the edge: empty, huge, exotic, out of range, of nothing. */
  private edge(ctx: BuildContext, type: GraphQLInputType, argName: string, fieldName: string): unknown {
    const { rng } = ctx;
    const inner = getNullableType(type) as GraphQLInputType;
    if (!isNonNullType(type) && rng.chance(0.1)) return null;
    if (isListType(inner)) {
      return rng.weighted([
        [() => [], 3],
        [() => [this.edge(ctx, inner.ofType, argName, fieldName)], 4],
        [() => Array.from({ length: rng.int(2, 30) }, () => this.edge(ctx, inner.ofType, argName, fieldName)), 2],
        [() => Array.from({ length: 5001 }, (_, i) => `EDGE-${i}`), 0.3],
      ] as const)();
    }
    if (isInputObjectType(inner)) return this.plausible(ctx, type, argName, fieldName);
    if (isEnumType(inner)) return rng.pick(inner.getValues()).name;
    switch (inner.name) {
      case 'Int':
        return rng.pick(EDGE_INTS);
      case 'SafeInt':
        return rng.pick(EDGE_SAFE_INTS);
      case 'Float':
        return rng.pick(EDGE_FLOATS);
      case 'Boolean':
        return rng.chance(0.5);
      case 'DateTimeISO':
        return rng.chance(0.8) ? rng.pick(EDGE_DATES) : this.edgeString(ctx, argName, fieldName);
      default:
        return this.edgeString(ctx, argName, fieldName);
    }
  }

  private edgeString(ctx: BuildContext, argName: string, fieldName: string): string {
    const { rng } = ctx;
    const seen = this.seenValues(ctx, argName, fieldName);
    return rng.weighted<() => string>([
      [() => rng.pick(EDGE_STRINGS), 10],
      [() => rng.uuid(), 3],
      [() => rng.string(rng.int(1, 400), 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_'), 2],
      [() => `${rng.string(rng.int(10, 60), 'abcdefghijklmnopqrstuvwxyz0123456789-_')}.${rng.string(rng.int(10, 200), 'abcdefghijklmnopqrstuvwxyz0123456789-_')}.${rng.string(86, 'abcdefghijklmnopqrstuvwxyz0123456789-_')}`, 2],
      // Real values, damaged: one character flipped, truncated, padded, upper-cased, doubled.
      [() => (seen.length ? tamper(rng, rng.pick(seen)) : rng.pick(EDGE_STRINGS)), seen.length ? 6 : 0],
    ])();
  }

  /** A value of the wrong type for a variable; `certain` when GraphQL must refuse it. */
  private wrong(ctx: BuildContext, type: GraphQLInputType): { value: unknown; certain: boolean } {
    const { rng } = ctx;
    const inner = getNullableType(type) as GraphQLInputType;
    if (isNonNullType(type) && rng.chance(0.3)) return rng.chance(0.5) ? { value: null, certain: true } : { value: OMIT, certain: false };
    if (isListType(inner)) {
      // Certain only when the items are of a type GraphQL itself checks (a custom scalar may take anything).
      const named = getNamedType(inner);
      const checked = isEnumType(named) || (isScalarType(named) && BUILT_IN_SCALARS.has(named.name));
      const value = rng.pick<unknown>([{ a: 1 }, [[1, 2]], [{ a: 1 }], 12.5]);
      return { value, certain: checked && (typeof value !== 'number' || isEnumType(named) || refusedBy(named.name, value)) };
    }
    if (isInputObjectType(inner)) return rng.pick([{ value: 'x', certain: true }, { value: [1], certain: true }, { value: { fuzzNoSuchField: 1 }, certain: true }]);
    if (isEnumType(inner)) return rng.pick([{ value: 'NOT_A_VALUE', certain: true }, { value: 1, certain: true }, { value: inner.getValues()[0]!.name.toLowerCase(), certain: true }]);
    const builtIn = isScalarType(inner) && BUILT_IN_SCALARS.has(inner.name);
    const candidates: unknown[] = [{ a: 1 }, [1, 2], true, 'x', 1.5, 123, '12', [], {}];
    const value = rng.pick(candidates);
    return { value, certain: builtIn && refusedBy(inner.name, value) };
  }

  /**
   * Values seen for an argument: `Type.id` for `typeId`, `Type.code` for `typeCode`,
   * `*.name` otherwise; mostly those the caller itself was shown, when it was shown any.
   */
  private seenValues(ctx: BuildContext, argName: string, fieldName: string): string[] {
    const pool = this.options.pool;
    const keys = new Set<string>(pool.keysForField(argName));
    for (const alias of FIELD_ALIASES[argName] ?? []) pool.keysForField(alias).forEach((k) => keys.add(k));
    const typed = /^(.+)(Id|Code)$/.exec(argName);
    if (typed) {
      const typeName = typed[1]![0]!.toUpperCase() + typed[1]!.slice(1);
      for (const k of pool.keys()) if (k.startsWith(`${typeName}`) && k.endsWith(`.${typed[2]!.toLowerCase()}`)) keys.add(k);
    }
    if (argName === 'id') {
      // `revokePartnerApiKey(id)`: ids of the types the field names (PartnerApiKeyCreated.id).
      const subject = fieldName.replace(/^[a-z]+/, '');
      for (const k of pool.keys()) if (subject && k.startsWith(subject) && k.endsWith('.id')) keys.add(k);
      if (keys.size === 0) pool.keysForField('id').forEach((k) => keys.add(k));
    }
    const own = [...keys].flatMap((k) => [...pool.get(k, ctx.caller)]);
    return own.length && ctx.rng.chance(0.7) ? own : [...keys].flatMap((k) => [...pool.get(k)]);
  }
}

const OMIT = Symbol('omit');
const BUILT_IN_SCALARS = new Set(['Int', 'Float', 'String', 'Boolean', 'ID']);

function refusedBy(scalar: string, value: unknown): boolean {
  switch (scalar) {
    case 'Int':
      return !(typeof value === 'number' && Number.isInteger(value));
    case 'Float':
      return typeof value !== 'number';
    case 'String':
      return typeof value !== 'string';
    case 'Boolean':
      return typeof value !== 'boolean';
    case 'ID':
      return !(typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value)));
    default:
      return false;
  }
}

/** A declared variable type that does not fit the argument (`Int` for `String!`, a list for a scalar). */
function mismatchedType(type: GraphQLInputType): string {
  const named = getNamedType(type);
  if (isListType(getNullableType(type))) return named.name === 'Int' ? 'Int' : 'String';
  if (named.name === 'Int' || named.name === 'SafeInt') return 'String!';
  if (named.name === 'Boolean') return 'Int!';
  return `[${named.name}!]!`;
}

/**
 * A request body a GraphQL server must refuse (not JSON, not an object, members of the wrong
 * type), or an odd one it may run (a duplicated key, `__proto__`, absurdly nested variables).
 */
function oddBody(rng: Rng, query: string, variables: Record<string, unknown>): { body: string; refused: boolean } {
  const good = JSON.stringify({ query, variables });
  const nested = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
  const refused = (body: string) => ({ body, refused: true });
  const odd = (body: string) => ({ body, refused: false });
  return rng.pick<() => { body: string; refused: boolean }>([
    () => refused(good.slice(0, rng.int(0, good.length - 1))),
    () => refused(`${good}}`),
    () => refused('not json'),
    () => refused('null'),
    () => refused('"{ __typename }"'),
    () => refused('[]'),
    () => refused(`[${good}, ${good}]`),
    () => refused('{}'),
    () => refused(JSON.stringify({ query: 1, variables })),
    () => refused(JSON.stringify({ query: [query] })),
    () => refused(JSON.stringify({ query, variables: 'x' })),
    () => refused(JSON.stringify({ query, variables: [variables] })),
    () => refused(JSON.stringify({ query, operationName: 5 })),
    () => refused(JSON.stringify({ query, extensions: 'x' })),
    () => refused(JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: '0'.repeat(64) } } })),
    () => odd(JSON.stringify({ query, variables, extensions: { persistedQuery: { version: 1, sha256Hash: 'x'.repeat(64) } } })),
    () => odd(`{"query": ${JSON.stringify(query)}, "variables": {"v0": ${nested(rng.pick([100, 5000, 50_000]))}}}`),
    () => odd(`{"query": "{ __typename }", "query": ${JSON.stringify(query)}, "variables": ${JSON.stringify(variables)}}`),
    () => odd(`{"query": ${JSON.stringify(query)}, "variables": {"__proto__": {"polluted": true}}}`),
  ])();
}

function plausibleDate(rng: Rng): string {
  const base = Date.UTC(2026, 0, 1);
  const day = 86_400_000;
  return new Date(base + rng.int(-400, 400) * day + rng.int(0, day - 1)).toISOString();
}

function tamper(rng: Rng, value: string): string {
  const at = rng.int(0, Math.max(0, value.length - 1));
  return rng.weighted<() => string>([
    [() => value.slice(0, at) + (value[at] === 'A' ? 'B' : 'A') + value.slice(at + 1), 4],
    [() => value.slice(0, at), 2],
    [() => `${value} `, 1],
    [() => value.toUpperCase(), 1],
    [() => `${value}${value}`, 1],
    [() => `${value}\u0000`, 1],
    [() => `${value}'--`, 1],
  ])();
}

/** A GraphQL literal for a JS value, typed where it matters (enum names are bare). */
export function toLiteral(value: unknown, type: GraphQLInputType): string {
  const inner = getNullableType(type) as GraphQLInputType;
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) {
    const itemType = isListType(inner) ? inner.ofType : inner;
    return `[${value.map((v) => toLiteral(v, itemType)).join(', ')}]`;
  }
  if (typeof value === 'object') {
    const fields = isInputObjectType(inner) ? inner.getFields() : {};
    return `{ ${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k}: ${toLiteral(v, (fields[k]?.type as GraphQLInputType | undefined) ?? inner)}`)
      .join(', ')} }`;
  }
  if (typeof value === 'string') {
    if (isEnumType(getNamedType(inner)) && /^[_A-Za-z][_0-9A-Za-z]*$/.test(value)) return value;
    return JSON.stringify(value);
  }
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '0';
  return String(value);
}

// ---------------------------------------------------------------------------------------
// What a response must never show.

/** Text that betrays internals: stack frames, file paths, driver and ORM errors, JS runtime errors. */
export const LEAK_PATTERNS: readonly RegExp[] = [
  /\n\s+at /,
  /\bat [\w.<>]+ \(/,
  /node_modules/,
  /\.(ts|js|mjs|cjs):\d+/,
  /\/(work|home|usr|tmp|src|dist)\//,
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EADDRINUSE|ENOTFOUND/,
  /SQLSTATE|syntax error at or near|violates|duplicate key|invalid input syntax|invalid byte sequence|relation "|column "|out of range for type|value too long for type/i,
  /MikroORM|QueryFailedError|DriverException|\bknex\b|\bpg-protocol\b/,
  /TypeError|ReferenceError|RangeError|Cannot read prop|is not a function|undefined is not|Maximum call stack/,
  /Internal server error/i,
];

export interface FuzzResponse {
  status: number;
  /** Raw body text. */
  text: string;
  body?: { data?: unknown; errors?: Array<{ message?: unknown; extensions?: Record<string, unknown> }> };
}

/** Everything wrong with one response; empty when it is fine. */
export function responseProblems(op: FuzzOperation, res: FuzzResponse): string[] {
  const problems: string[] = [];
  if (res.status >= 500) problems.push(`HTTP ${res.status}`);
  if (!res.body || typeof res.body !== 'object') {
    problems.push('the body is not a JSON object');
    return problems;
  }
  const { errors } = res.body;
  if (!('data' in res.body) && !errors) problems.push('neither data nor errors');
  if (errors !== undefined && (!Array.isArray(errors) || errors.length === 0)) problems.push('errors is present but not a non-empty list');
  for (const [i, error] of (Array.isArray(errors) ? errors : []).entries()) {
    const code = error?.extensions?.code;
    if (typeof code !== 'string') problems.push(`errors[${i}] has no extensions.code`);
    if (code === 'INTERNAL_SERVER_ERROR') problems.push(`errors[${i}] is INTERNAL_SERVER_ERROR`);
    for (const key of ['stacktrace', 'exception', 'originalError', 'stack']) {
      if (error?.extensions && key in error.extensions) problems.push(`errors[${i}] has extensions.${key}`);
    }
    const text = `${String(error?.message)} ${JSON.stringify(error?.extensions ?? {})}`;
    for (const pattern of LEAK_PATTERNS) if (pattern.test(text)) problems.push(`errors[${i}] leaks ${pattern}`);
  }
  if (op.tweaks.some((t) => REFUSED_TWEAKS.has(t))) {
    if (!Array.isArray(errors) || errors.length === 0) problems.push(`a ${op.tweaks.join(', ')} operation was not refused`);
    const data = res.body.data as Record<string, unknown> | null | undefined;
    if (data && Object.values(data).some((v) => v !== null)) problems.push(`a ${op.tweaks.join(', ')} operation returned data`);
  }
  return problems;
}

/** A JSON rendering that abbreviates long strings (`"xxxx…(10000 chars)"`), for reports. */
export function abbreviate(value: unknown, max = 300): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    typeof v === 'string' && v.length > max ? `${v.slice(0, 60)}…(${v.length} chars)` : Array.isArray(v) && v.length > 50 ? [...v.slice(0, 5), `…(${v.length} items)`] : v,
  );
}
