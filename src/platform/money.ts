/** An amount in minor units with its ISO 4217 currency. */
export interface MoneyAmount {
  amount: number;
  currency: string;
}

/** `¥198` or `¥19.90` (CNY), `USD 12.50` otherwise. */
export function formatMoney(money: MoneyAmount): string {
  const major = money.amount / 100;
  const figure = Number.isInteger(major) ? major.toLocaleString('en-US') : major.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return money.currency === 'CNY' ? `¥${figure}` : `${money.currency} ${figure}`;
}
