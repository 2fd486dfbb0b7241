import { describe, expect, it } from 'vitest';
import { pointsToTakeBack, purchasePoints } from './earn.js';

const yuan = { points: 1, per: 100 };

describe('purchase points', () => {
  it('earns one point per whole yuan, the multiplier applied once and rounded down', () => {
    expect(purchasePoints(9_999, yuan, 1000, 'FLOOR')).toBe(99);
    expect(purchasePoints(9_999, yuan, 1500, 'FLOOR')).toBe(148);
    expect(purchasePoints(10_100, yuan, 1200, 'FLOOR')).toBe(121);
    expect(purchasePoints(99, yuan, 2000, 'FLOOR')).toBe(0);
  });

  it('rounds as the rule states', () => {
    expect(purchasePoints(10_100, yuan, 1500, 'ROUND')).toBe(152);
    expect(purchasePoints(10_100, yuan, 1500, 'CEIL')).toBe(152);
    expect(purchasePoints(10_300, yuan, 1500, 'FLOOR')).toBe(154);
    expect(purchasePoints(10_300, yuan, 1500, 'CEIL')).toBe(155);
  });
});

describe('refund take-back', () => {
  const base = { earned: 180, takenBack: 0, amount: 15_000, refunded: 0, rate: yuan, multiplierPermille: 1200, rounding: 'FLOOR' as const };

  it('takes back what the refunded part earned, at the purchase rate', () => {
    expect(pointsToTakeBack({ ...base, refund: 5_000 })).toBe(60);
  });

  it('partial refunds add up to the whole: a purchase refunded in three parts keeps nothing', () => {
    let takenBack = 0;
    let refunded = 0;
    for (const refund of [3_333, 3_333, 8_334]) {
      takenBack += pointsToTakeBack({ ...base, takenBack, refunded, refund });
      refunded += refund;
    }
    expect(takenBack).toBe(180);
  });
});
