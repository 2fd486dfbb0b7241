import type { MomentKindName } from '../../platform/config.js';
import type { LocalizedText } from '../../platform/localized.js';
import { MomentKind } from './moment.entity.js';

/** Money in minor units with its ISO 4217 currency (fen for CNY). */
export interface MomentMoney {
  amount: number;
  currency: string;
}

/**
 * What a producer puts in `data` for each kind: the figures the message states. Names are given
 * localized by the producer (the moments module knows no tier, benefit or reward), so a message
 * says exactly what the producer's own screens say.
 */
export interface MomentDataByKind {
  /** A member's first membership (or the program, when there is no plan to name). */
  JOINED: { planCode?: string; planName?: LocalizedText };
  /** A move up the tier ladder. */
  TIER_UP: { from: string; to: string; toName?: LocalizedText };
  /** A move down the tier ladder. */
  TIER_DOWN: { from: string; to: string; toName?: LocalizedText };
  /** Points credited to the member. */
  POINTS_EARNED: { points: number; balance?: number; reason?: LocalizedText };
  /** Points about to expire, with what they buy in rewards ("2 coffees at BrewBar"). */
  POINTS_EXPIRING: { points: number; expiresAt: string; buys?: LocalizedText };
  /** A right usable at a partner from now on. */
  BENEFIT_ACTIVATED: { benefitCode: string; benefitName?: LocalizedText; partnerName?: LocalizedText };
  /** A membership about to renew, with the price. */
  RENEWAL_DUE: { renewsAt: string; price: MomentMoney; planCode?: string; planName?: LocalizedText };
  /** A member day: the day and its offer (saying what the member was granted, with the benefit's code, when the day grants a right). */
  MEMBER_DAY: { date: string; offer: LocalizedText; benefitCode?: string };
}

/** How each kind is treated by the frequency cap and the marketing opt-out. */
export interface MomentPolicy {
  /** Lower goes first when several compete for what is left of the cap. */
  priority: number;
  /** Never skipped for the cap (the member needs to know: money or points about to be lost). */
  uncapped: boolean;
  /** A marketing moment: the member's marketing opt-out skips it. */
  marketing: boolean;
  /** The instant after which it is stale whatever its age (an expiry or a renewal that has passed). */
  deadline?: (data: Record<string, unknown>) => Date | null;
}

const dateIn = (key: string) => (data: Record<string, unknown>) => {
  const value = data[key];
  const date = typeof value === 'string' ? new Date(value) : null;
  return date && !Number.isNaN(date.getTime()) ? date : null;
};

/**
 * The kinds' policies. POINTS_EXPIRING and RENEWAL_DUE are never capped; POINTS_EARNED is the
 * first to be capped (the lowest priority), member days next.
 */
export const MOMENT_POLICIES: Readonly<Record<MomentKind, MomentPolicy>> = {
  [MomentKind.RENEWAL_DUE]: { priority: 0, uncapped: true, marketing: false, deadline: dateIn('renewsAt') },
  [MomentKind.POINTS_EXPIRING]: { priority: 0, uncapped: true, marketing: false, deadline: dateIn('expiresAt') },
  [MomentKind.BENEFIT_ACTIVATED]: { priority: 1, uncapped: false, marketing: false },
  [MomentKind.TIER_DOWN]: { priority: 1, uncapped: false, marketing: false },
  [MomentKind.TIER_UP]: { priority: 2, uncapped: false, marketing: true },
  [MomentKind.JOINED]: { priority: 2, uncapped: false, marketing: true },
  [MomentKind.MEMBER_DAY]: { priority: 3, uncapped: false, marketing: true, deadline: (data) => dayAfter(dateIn('date')(data)) },
  [MomentKind.POINTS_EARNED]: { priority: 4, uncapped: false, marketing: true },
};

function dayAfter(date: Date | null): Date | null {
  return date ? new Date(date.getTime() + 86_400_000) : null;
}

// The kinds the configuration knows (src/platform/config.ts MOMENT_KINDS) are exactly these.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const KINDS_AGREE_WITH_CONFIG: Same<`${MomentKind}`, MomentKindName> = true;
