import type { LoyaltyBenchResult, LoyaltyBenchSettings } from './loyalty.js';

function intEnv(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
}

/** BENCH_LOYALTY_POSTINGS (20,000) for BENCH_LOYALTY_MEMBERS (2,000), BENCH_EXPIRY_LOTS (1,000,000), BENCH_TIER_MEMBERS (100,000), BENCH_LOYALTY_RUNNERS (2), BENCH_LOYALTY_CONNECTIONS (8). */
export function loyaltySettings(): LoyaltyBenchSettings {
  return {
    postings: intEnv('BENCH_LOYALTY_POSTINGS', 20_000),
    postingMembers: intEnv('BENCH_LOYALTY_MEMBERS', 2_000),
    expiryLots: intEnv('BENCH_EXPIRY_LOTS', 1_000_000),
    tierMembers: intEnv('BENCH_TIER_MEMBERS', 100_000),
    runners: intEnv('BENCH_LOYALTY_RUNNERS', 2),
    connections: intEnv('BENCH_LOYALTY_CONNECTIONS', 8),
  };
}

export function printLoyalty(result: LoyaltyBenchResult, log: (line: string) => void): void {
  const n = (v: number) => Math.round(v).toLocaleString('en-US');
  log(`loyalty postings through the ledger: ${n(result.postings.ledger.perSecond)}/s; the same rows with pg: ${n(result.postings.raw.perSecond)}/s (ledger ${(result.postings.ratio * 100).toFixed(0)}% of raw; target ≥ 25%)`);
  log(
    `points expiry, ${n(result.expiry.lots.rows)} lots due at once: ${n(result.expiry.lots.perSecond)} lots/s (${result.expiry.lots.seconds.toFixed(1)} s); ` +
      `raw UPDATE: ${n(result.expiry.raw.perSecond)}/s (due work ${(result.expiry.ratio * 100).toFixed(0)}% of raw); all expired: ${result.expiry.allExpired}`,
  );
  log(
    `tier evaluation, ${n(result.evaluation.members.rows)} members due at once: ${n(result.evaluation.members.perSecond)} members/s (${result.evaluation.members.seconds.toFixed(1)} s); ` +
      `raw UPDATE: ${n(result.evaluation.raw.perSecond)}/s (${(result.evaluation.ratio * 100).toFixed(0)}% of raw); all moved: ${result.evaluation.allMoved}`,
  );
}
