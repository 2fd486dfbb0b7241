import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../platform/logger.js';
import { composeSupergraph, type SubgraphDefinition } from './supergraph.js';

const REGISTERED_PREFIX = 'ext-';

/** The name a partner's own subgraph takes in the supergraph (apart from built-in adapters). */
export function registeredSubgraphName(partnerId: string): string {
  return `${REGISTERED_PREFIX}${partnerId}`;
}

/** True for the name of a partner's own registered subgraph: a third party. */
export function isRegisteredSubgraphName(name: string): boolean {
  return name.startsWith(REGISTERED_PREFIX);
}

/** Registered partner subgraphs, as stored. */
export async function registeredSubgraphs(orm: MikroORM): Promise<Array<SubgraphDefinition & { partnerId: string }>> {
  const rows = await orm.em.fork().execute<{ partner_id: string; url: string; sdl: string }[]>(
    `select partner_id, url, sdl from partner_subgraph order by partner_id`,
  );
  return rows.map((r) => ({ name: registeredSubgraphName(r.partner_id), url: r.url, typeDefs: r.sdl, partnerId: r.partner_id }));
}

/**
 * The supergraph the gateway serves: the built-in subgraphs plus those partners registered
 * at run time (read from PostgreSQL, so every gateway replica converges). `refresh`
 * recomposes when registrations changed and reports whether the supergraph changed; a
 * composition that fails keeps the running supergraph.
 */
export class SupergraphSource {
  private sdl: string;
  private registrationsKey = '';
  /** Registered subgraphs' URLs, to their partner. */
  private partners = new Map<string, string>();

  constructor(
    private readonly builtIns: SubgraphDefinition[],
    private readonly orm: MikroORM | undefined,
    private readonly logger: Logger,
  ) {
    this.sdl = composeSupergraph(builtIns);
  }

  current(): string {
    return this.sdl;
  }

  /** The partner whose registered subgraph is served at `url`; undefined for a built-in subgraph. */
  partnerOf(url: string): string | undefined {
    return this.partners.get(url);
  }

  async refresh(): Promise<boolean> {
    if (!this.orm) return false;
    const registered = await registeredSubgraphs(this.orm);
    const key = JSON.stringify(registered);
    if (key === this.registrationsKey) return false;
    try {
      this.sdl = composeSupergraph([...this.builtIns, ...registered]);
      this.partners = new Map(registered.map((r) => [r.url, r.partnerId]));
      const first = this.registrationsKey === '';
      this.registrationsKey = key;
      if (!first || registered.length > 0) {
        this.logger.info({ subgraphs: registered.map((r) => `${r.name} ${r.url}`) }, 'supergraph recomposed with partner subgraphs');
      }
      return true;
    } catch (error) {
      this.logger.error({ err: error }, 'registered subgraphs do not compose; keeping the running supergraph');
      return false;
    }
  }
}
