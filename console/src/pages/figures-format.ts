// How the figures pages write numbers, money, rates and periods (in the console's language), and
// how a period chosen in days becomes the instants the figures queries take.
import type { FigureBucket } from '@coalition-gateway/client';
import { h } from '../dom.js';
import { language } from '../i18n.js';

export const count = (value: number): string => new Intl.NumberFormat(language()).format(value);

/** A rate (0..1) as a percentage with one decimal; null (nothing to divide) as a dash. */
export const percent = (rate: number | null | undefined): string =>
  rate === null || rate === undefined ? '—' : new Intl.NumberFormat(language(), { style: 'percent', maximumFractionDigits: 1 }).format(rate);

/** Minor units (fen) in the currency; `digits` 0 for an axis. */
export function money(amount: number | null | undefined, currency: string, digits?: number): string {
  if (amount === null || amount === undefined) return '—';
  return new Intl.NumberFormat(language(), { style: 'currency', currency, ...(digits === undefined ? {} : { minimumFractionDigits: digits, maximumFractionDigits: digits }) }).format(amount / 100);
}

export const isoDay = (at: Date): string => at.toISOString().slice(0, 10);

/**
 * The program day `at` falls on (YYYY-MM-DD) in the program's time zone, or in UTC when it is not
 * known yet. Between midnight in Shanghai and midnight in UTC the two differ: a period that "ends
 * today" must end on the program's today, or the day's joiners fall outside it.
 */
export function programDay(at: Date, timeZone: string | undefined): string {
  if (!timeZone) return isoDay(at);
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(at);
  const part = (type: 'year' | 'month' | 'day') => parts.find((p) => p.type === type)!.value;
  return `${part('year')}-${part('month')}-${part('day')}`;
}

export const dayInput = (value: string): HTMLInputElement => h('input', { type: 'date', value, required: true });

/**
 * The instants for a period of program days, `to` included: the queries count the program days
 * from `from`'s day up to, not including, `to`'s day, so `to` is the day after. Noon UTC is the
 * same calendar day in every time zone from UTC−11 to UTC+11 (the program's is Asia/Shanghai).
 */
export function period(range: { from: string; to: string }): { from: string; to: string } {
  const after = new Date(`${range.to}T12:00:00Z`);
  after.setUTCDate(after.getUTCDate() + 1);
  return { from: `${range.from}T12:00:00.000Z`, to: after.toISOString() };
}

/** A bucket's start as its period reads in the program's time zone: a month, or a day. */
export function periodLabel(start: string, bucket: FigureBucket, timeZone: string): string {
  const options: Intl.DateTimeFormatOptions = bucket === 'MONTH' ? { year: 'numeric', month: 'short', timeZone } : { dateStyle: 'medium', timeZone };
  return new Intl.DateTimeFormat(language(), options).format(new Date(start));
}
