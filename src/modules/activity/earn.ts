// Earn arithmetic, pure: what a purchase earns, and what a refund of part of it takes back.
import type { Rounding } from '../loyalty-program/index.js';

export interface PurchaseRate {
  points: number;
  /** Minor units per step: only whole steps earn (¥99.99 is 99 steps of 100 fen). */
  per: number;
}

function rounded(numerator: number, denominator: number, rounding: Rounding): number {
  if (rounding === 'CEIL') return Math.ceil(numerator / denominator);
  if (rounding === 'ROUND') return Math.round(numerator / denominator);
  return Math.floor(numerator / denominator);
}

/** Points for `amount` minor units at `rate`, times a multiplier in thousandths, rounded once. */
export function purchasePoints(amount: number, rate: PurchaseRate, multiplierPermille: number, rounding: Rounding): number {
  if (amount <= 0) return 0;
  const steps = Math.floor(amount / rate.per);
  return rounded(steps * rate.points * multiplierPermille, 1000, rounding);
}

/**
 * What a refund takes back so that the purchase keeps exactly what its remaining amount earns
 * at the rate it was earned at: cumulative over partial refunds, so they never drift from a
 * whole refund (which takes back everything).
 */
export function pointsToTakeBack(p: {
  earned: number;
  takenBack: number;
  amount: number;
  refunded: number;
  refund: number;
  rate: PurchaseRate;
  multiplierPermille: number;
  rounding: Rounding;
}): number {
  const remaining = p.amount - p.refunded - p.refund;
  const keeps = Math.min(p.earned, purchasePoints(remaining, p.rate, p.multiplierPermille, p.rounding));
  return Math.max(0, p.earned - keeps - p.takenBack);
}

/**
 * What refunds give back of `total` (campaign points, points an order was paid with) once
 * `refundedAfter` of `amount` is refunded, cumulatively: in proportion, all of it with the last.
 */
export function shareRefunded(total: number, refundedAfter: number, amount: number, givenBack: number): number {
  return Math.floor((total * refundedAfter) / amount) - givenBack;
}
