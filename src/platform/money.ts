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

/** Digits after the decimal point of a currency's major unit (2 for CNY, 0 for JPY), per ISO 4217 as Intl knows it. */
export function minorUnitDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** An amount in minor units as a plain decimal in major units, exactly: `123456` CNY is `1234.56`, `-5` is `-0.05`. */
export function decimalAmount(money: MoneyAmount): string {
  const digits = minorUnitDigits(money.currency);
  const sign = money.amount < 0 ? '-' : '';
  const minor = String(Math.abs(money.amount)).padStart(digits + 1, '0');
  return digits === 0 ? `${sign}${minor}` : `${sign}${minor.slice(0, -digits)}.${minor.slice(-digits)}`;
}
