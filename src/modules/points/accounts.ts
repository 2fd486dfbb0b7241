// Ledger account ids: what an account is can be read off its id, so postings need no lookup.

export const memberAccount = (memberId: string): string => `member:${memberId}`;
export const debtAccount = (memberId: string): string => `debt:${memberId}`;
export const partnerIssuedAccount = (partnerId: string): string => `partner-issued:${partnerId}`;
export const partnerRedeemedAccount = (partnerId: string): string => `partner-redeemed:${partnerId}`;

/** The program's own accounts (created by the migration). */
export const SYSTEM_ACCOUNTS = {
  issued: 'issued',
  redeemed: 'redeemed',
  expired: 'expired',
  reversed: 'reversed',
} as const;
