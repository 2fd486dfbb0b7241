import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { AppDependencies, Loaders, RequestContext, Services } from './context.js';
import type { ErrorTable } from './errors.js';
import type { Logger } from './logger.js';

/** What a service factory is given: the request's EntityManager, the process's dependencies and the other services. */
export interface ServiceScope {
  readonly em: EntityManager;
  readonly deps: AppDependencies;
  /** Every service of the same request (built on first use). */
  readonly services: Services;
}

/** How a module builds each of its services for one request. */
export type ServiceFactories = { readonly [K in keyof Services]?: (scope: ServiceScope) => Services[K] };

/** Resolves a federated entity from its key fields (`__resolveReference`), through the request's loaders. */
export type ReferenceResolver = (reference: Record<string, unknown>, context: RequestContext) => Promise<unknown>;

/** What a job run is given. */
export interface JobScope {
  readonly orm: MikroORM;
  readonly deps: AppDependencies;
  readonly logger: Logger;
  /** The run's instant (the dependencies' clock). */
  readonly now: Date;
  /** Aborted when the process stops: a long run hands its work back and returns. */
  readonly signal?: AbortSignal;
}

/**
 * A periodic job. Every job must be safe with several worker processes running it at once
 * (a claim with `SKIP LOCKED`, a try-lock, or idempotent steps), and say how in its TSDoc.
 */
export interface ModuleJob {
  readonly name: string;
  /** Milliseconds between runs in one process. */
  readonly everyMs: number;
  run(scope: JobScope): Promise<unknown>;
}

/** What one run of due work is given. */
export interface DueWorkScope {
  /** A fresh EntityManager for this run. */
  readonly em: EntityManager;
  /** The process's dependencies, with `now` on the run's clock. */
  readonly deps: AppDependencies;
  /** Services on the run's EntityManager and clock. */
  readonly services: Services;
  readonly logger: Logger;
  /** The run's instant: real time, or the test clock's frozen time. */
  readonly now: Date;
  /** The test clock whose members this run serves; null: members on real time. */
  readonly clockId: string | null;
  /** At most this many items per run (a batch). */
  readonly limit: number;
}

/**
 * Work that falls due at an instant stored on its rows (a renewal at a period's end, a
 * retry, a reminder): found through an index on that instant, never by scanning, for the
 * members on real time (workers) or on one test clock (its advance). Every implementation
 * must be safe with several workers running it at once (claims under `SKIP LOCKED` with a
 * lease) and must move each row's due instant past `now` once it has run.
 */
export interface DueWork {
  readonly name: string;
  /**
   * The earliest due instant of its rows for `clockId` (null: real time), or null when none is due
   * ever — or none this process can run (`deps` says what it has).
   */
  nextDue(em: EntityManager, clockId: string | null, deps?: AppDependencies): Promise<Date | null>;
  /** Runs up to `limit` items due at or before `now`; returns how many ran (fewer than `limit`: nothing else is due). */
  runDue(scope: DueWorkScope): Promise<number>;
}

/** An entity class as MikroORM discovers it. */
export type EntityClass = abstract new (...args: never[]) => object;

/**
 * What a module brings to the processes, declared in one place (its `module.ts`) and composed
 * through the module list (src/modules/index.ts): nothing is registered by hand elsewhere.
 */
export interface ModuleDefinition {
  /** The module's folder name. */
  readonly name: string;
  /** Its MikroORM entities. */
  readonly entities?: readonly EntityClass[];
  /** Its type-graphql resolver classes (the membership subgraph). */
  readonly resolvers?: readonly Function[];
  /** `__resolveReference` of the federated types it owns, by type name. */
  readonly references?: Readonly<Record<string, ReferenceResolver>>;
  /** Its DataLoaders for one request. */
  readonly loaders?: (em: EntityManager) => Partial<Loaders>;
  /** Its services, one factory per name of {@link Services}. */
  readonly services?: ServiceFactories;
  /** Its periodic jobs (run by worker processes). */
  readonly jobs?: readonly ModuleJob[];
  /** Its work due at instants stored on rows (renewals, retries, reminders), run by workers and test clocks. */
  readonly dueWork?: readonly DueWork[];
}

/** Declares a module (a typed identity: the list and the processes do the rest). */
export function defineModule(definition: ModuleDefinition): ModuleDefinition {
  return definition;
}

/**
 * One line of the module list: the module's definition and its error codes, each loaded on
 * demand, so a process that only needs the error table (the gateway) loads no entity,
 * resolver or service.
 */
export interface ModuleEntry {
  readonly name: string;
  definition(): Promise<{ module: ModuleDefinition }>;
  errors?(): Promise<{ errorCodes: ErrorTable }>;
}

const SCOPE = Symbol('scope');
const BUILT = Symbol('built');

/** The modules of a process, composed: entities, resolvers, loaders, services and jobs. */
export class ModuleSet {
  private readonly servicePrototype: object;

  constructor(readonly definitions: readonly ModuleDefinition[]) {
    const owners = new Map<string, string>();
    const prototype: Record<PropertyKey, unknown> = {};
    for (const definition of definitions) {
      for (const [name, factory] of Object.entries(definition.services ?? {}) as Array<[string, (scope: ServiceScope) => unknown]>) {
        const owner = owners.get(name);
        if (owner) throw new Error(`Service ${name} is declared by modules ${owner} and ${definition.name}`);
        owners.set(name, definition.name);
        // A getter on a shared prototype: a request builds only the services it uses, once.
        Object.defineProperty(prototype, name, {
          enumerable: true,
          get(this: { [SCOPE]: ServiceScope; [BUILT]: Map<string, unknown> }) {
            const built = this[BUILT];
            if (!built.has(name)) built.set(name, factory(this[SCOPE]));
            return built.get(name);
          },
        });
      }
    }
    this.servicePrototype = prototype;
  }

  get names(): string[] {
    return this.definitions.map((d) => d.name);
  }

  entities(): EntityClass[] {
    return this.definitions.flatMap((d) => d.entities ?? []);
  }

  resolvers(): Function[] {
    return this.definitions.flatMap((d) => d.resolvers ?? []);
  }

  references(): Record<string, ReferenceResolver> {
    const all: Record<string, ReferenceResolver> = {};
    for (const definition of this.definitions) {
      for (const [type, resolve] of Object.entries(definition.references ?? {})) {
        if (all[type]) throw new Error(`Two modules resolve references to ${type}`);
        all[type] = resolve;
      }
    }
    return all;
  }

  jobs(): ModuleJob[] {
    return this.definitions.flatMap((d) => d.jobs ?? []);
  }

  dueWork(): DueWork[] {
    return this.definitions.flatMap((d) => d.dueWork ?? []);
  }

  createLoaders(em: EntityManager): Loaders {
    const loaders = {} as Record<string, unknown>;
    for (const definition of this.definitions) Object.assign(loaders, definition.loaders?.(em));
    return loaders as unknown as Loaders;
  }

  createServices(em: EntityManager, deps: AppDependencies): Services {
    const services = Object.create(this.servicePrototype) as Services & { [SCOPE]: ServiceScope; [BUILT]: Map<string, unknown> };
    services[SCOPE] = { em, deps, services };
    services[BUILT] = new Map();
    return services;
  }
}
