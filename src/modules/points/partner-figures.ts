import type { EntityManager } from '@mikro-orm/postgresql';
import { partnerIssuedAccount, partnerRedeemedAccount } from './accounts.js';

/** A partner's coalition points in a period, from the ledger itself. */
export interface PartnerPointsFigures {
  /** Points its till issued, net of what refunds of its orders took back. */
  issued: number;
  /** Points members burned at its till. */
  burned: number;
}

/**
 * What a partner issued and what was burned at it in [from, to), by when the postings counted
 * (their activity's time), summed from the transfers of its two accounts: the same rows the
 * balances are made of, so settlement can never disagree with the ledger.
 */
export async function partnerPointsFigures(em: EntityManager, partnerId: string, from: Date, to: Date): Promise<PartnerPointsFigures> {
  const issuedAccount = partnerIssuedAccount(partnerId);
  const burnedAccount = partnerRedeemedAccount(partnerId);
  const [row] = await em.execute<{ issued: string | null; burned: string | null }[]>(
    `select
       sum(case when t.debit_account_id = ? then t.amount when t.credit_account_id = ? then -t.amount else 0 end) as issued,
       sum(case when t.credit_account_id = ? then t.amount when t.debit_account_id = ? then -t.amount else 0 end) as burned
     from points_transfer t join points_journal j on j.id = t.journal_id
     where (t.debit_account_id in (?, ?) or t.credit_account_id in (?, ?)) and j.effective_at >= ? and j.effective_at < ?`,
    [issuedAccount, issuedAccount, burnedAccount, burnedAccount, issuedAccount, burnedAccount, issuedAccount, burnedAccount, from, to],
  );
  return { issued: Number(row?.issued ?? 0), burned: Number(row?.burned ?? 0) };
}
