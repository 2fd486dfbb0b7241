import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../platform/logger.js';
import { composeSupergraph, type SubgraphDefinition } from './supergraph.js';

/** The name a partner's own subgraph takes in the supergraph (apart from built-in adapters). */
export function registeredSubgraphName(partnerId: string): string {
  return `ext-${partnerId}`;
}

/** Registered partner subgraphs, as stored. */
export async function registeredSubgraphs(orm: MikroORM): Promise<SubgraphDefinition[]> {
  const rows = await orm.em.fork().execute<{ partner_id: string; url: string; sdl: string }[]>(
    `select partner_id, url, sdl from partner_subgraph order by partner_id`,
  );
  return rows.map((r) => ({ name: registeredSubgraphName(r.partner_id), url: r.url, typeDefs: r.sdl }));
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

  async refresh(): Promise<boolean> {
    if (!this.orm) return false;
    const registered = await registeredSubgraphs(this.orm);
    const key = JSON.stringify(registered);
    if (key === this.registrationsKey) return false;
    try {
      this.sdl = composeSupergraph([...this.builtIns, ...registered]);
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
