import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AuditLog, type AuditContext } from '../audit/index.js';
import { AppError } from '../../platform/errors.js';
import { OutboundAddressError, outboundUrlProblems, policedFetch, type OutboundPolicy } from '../../platform/outbound.js';
import { Partner } from './partner.entity.js';
import { PartnerSubgraph } from './partner-subgraph.entity.js';

/** A partner's subgraph as registered: where it is and its SDL. */
export interface SubgraphRegistration {
  partnerId: string;
  url: string;
  sdl: string;
}

/**
 * How registrations meet the supergraph, implemented by the process (src/composition): a
 * trial composition, and a nudge to the local gateway after a change.
 */
export interface SubgraphCompositionPort {
  /** Every composition error of the served supergraph plus `candidate` (replacing `others`' entry of the same partner); empty when it composes. */
  compositionErrors(candidate: SubgraphRegistration, others: SubgraphRegistration[]): Promise<string[]>;
  /** Told after a registration changed, so the local gateway recomposes at once. */
  onChange?: () => Promise<void>;
}

export interface PartnerSubgraphOptions {
  composition: SubgraphCompositionPort;
  /** Where a partner's subgraph may be (`PARTNER_SUBGRAPH_PUBLIC_ONLY`; production: https and public addresses only). */
  outbound: OutboundPolicy;
  /** Timeout for fetching the subgraph's SDL. @default 5000 */
  fetchTimeoutMs?: number;
}

/**
 * Partners' own subgraphs, registered by admins: the SDL is fetched from the subgraph
 * (`_service { sdl }`), composed with everything already served, and stored only when
 * composition succeeds; a failing one is refused with the composition errors listed and
 * the running supergraph is untouched.
 */
export class PartnerSubgraphService {
  constructor(
    private readonly em: EntityManager,
    private readonly options: PartnerSubgraphOptions,
  ) {}

  async register(partnerId: string, url: string, audit: AuditContext): Promise<PartnerSubgraph> {
    const problems = await outboundUrlProblems(url, this.options.outbound);
    if (problems.length) throw AppError.badInput(problems.map((message) => ({ field: 'url', message })));
    const partner = await this.em.findOne(Partner, { id: partnerId });
    if (!partner) throw AppError.notFound('Partner', partnerId);

    const sdl = await this.fetchSdl(partnerId, url);
    const others = (await this.em.find(PartnerSubgraph, { partnerId: { $ne: partnerId } })).map((r) => ({ partnerId: r.partnerId, url: r.url, sdl: r.sdl }));
    const compositionErrors = await this.options.composition.compositionErrors({ partnerId, url, sdl }, others);
    if (compositionErrors.length > 0) {
      throw new AppError('BAD_USER_INPUT', `The subgraph of ${partnerId} does not compose with the supergraph: ${compositionErrors.join('; ')}`, {
        compositionErrors,
      });
    }
    await this.em.transactional(async (em) => {
      const [previous] = await em.execute<{ url: string; sdl: string }[]>(
        'select url, sdl from partner_subgraph where partner_id = ? for update',
        [partnerId],
      );
      await em.upsert(PartnerSubgraph, { partnerId, url, sdl, registeredAt: new Date() });
      await AuditLog.append(em, audit, {
        action: 'partner_subgraph.register',
        subject: partnerId,
        before: previous ? registration(previous.url, previous.sdl) : null,
        after: registration(url, sdl),
      });
    });
    await this.options.composition.onChange?.();
    return this.em.findOneOrFail(PartnerSubgraph, { partnerId }, { refresh: true });
  }

  /** Removes a partner's subgraph from the supergraph; false when none was registered. */
  async unregister(partnerId: string, audit: AuditContext): Promise<boolean> {
    const removed = await this.em.transactional(async (em) => {
      const [row] = await em.execute<{ url: string; sdl: string }[]>(
        'delete from partner_subgraph where partner_id = ? returning url, sdl',
        [partnerId],
      );
      if (!row) return false;
      await AuditLog.append(em, audit, {
        action: 'partner_subgraph.unregister',
        subject: partnerId,
        before: registration(row.url, row.sdl),
        after: null,
      });
      return true;
    });
    if (removed) await this.options.composition.onChange?.();
    return removed;
  }

  list(): Promise<PartnerSubgraph[]> {
    return this.em.find(PartnerSubgraph, {}, { orderBy: { partnerId: 'asc' } });
  }

  private async fetchSdl(partnerId: string, url: string): Promise<string> {
    try {
      // At the connection too: a name may resolve elsewhere now than a moment ago.
      const response = await policedFetch(this.options.outbound)(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ _service { sdl } }' }),
        signal: AbortSignal.timeout(this.options.fetchTimeoutMs ?? 5000),
      });
      if (!response.ok) throw new SdlUnavailable(`it answered HTTP ${response.status}`);
      const body = (await response.json().catch(() => null)) as { data?: { _service?: { sdl?: unknown } } } | null;
      const sdl = body?.data?._service?.sdl;
      if (typeof sdl !== 'string' || !sdl.trim()) throw new SdlUnavailable('no SDL in its answer to { _service { sdl } }');
      return sdl;
    } catch (error) {
      // What the admin may know; the network's own words (addresses, syscalls) stay in our logs.
      const reason =
        error instanceof SdlUnavailable
          ? error.message
          : error instanceof OutboundAddressError
            ? 'its address is not a public one'
            : (error as { name?: string }).name === 'TimeoutError'
              ? 'it did not answer in time'
              : 'it could not be reached';
      throw AppError.downstream(partnerId, `its subgraph at ${url} did not give its SDL (${reason})`);
    }
  }
}

/** A subgraph that answered, but not with its SDL. */
class SdlUnavailable extends Error {}

/** What the audit log keeps of a registration: the SDL by its digest, not its text. */
function registration(url: string, sdl: string): { url: string; sdlSha256: string } {
  return { url, sdlSha256: createHash('sha256').update(sdl).digest('hex') };
}
