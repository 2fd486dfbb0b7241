import type { EntityManager } from '@mikro-orm/postgresql';
import type { Principal } from '../../platform/principal.js';
import { seesPartnerTerms } from '../partner/index.js';
import { Benefit } from './bundle.entity.js';

/** An amount in minor units with its ISO 4217 currency. */
export interface PriceView {
  amount: number;
  currency: string;
}

/** Benefits as partners see their own. */
export class BenefitService {
  constructor(private readonly em: EntityManager) {}

  /** The partner's own benefits, by code. */
  listForPartner(partnerId: string): Promise<Benefit[]> {
    return this.em.find(Benefit, { partner: partnerId }, { orderBy: { code: 'asc' } });
  }

  /**
   * The unit price agreed with the benefit's partner, shown to that partner and to the staff who
   * agree and pay it (admins, product managers, finance) only: commercial terms are no one else's
   * business. Null otherwise or when none is agreed.
   */
  unitPriceFor(principal: Principal, benefit: Benefit): PriceView | null {
    return seesPartnerTerms(principal, benefit.partner.id) ? agreedUnitPrice(benefit) : null;
  }
}

/** The benefit's agreed unit price; null when none is agreed. */
export function agreedUnitPrice(benefit: Pick<Benefit, 'unitPriceAmount' | 'unitPriceCurrency'>): PriceView | null {
  return benefit.unitPriceAmount != null && benefit.unitPriceCurrency != null
    ? { amount: benefit.unitPriceAmount, currency: benefit.unitPriceCurrency }
    : null;
}
