import { MOMENT_POLICIES } from './kinds.js';
import type { MomentKind } from './moment.entity.js';

/** A moment competing for what is left of a member's cap. */
export interface CapCandidate {
  id: string;
  kind: MomentKind;
  /** Order among equals: the one that happened first goes first. */
  occurredAt: Date;
}

/**
 * Which of the moments due for a member now may be sent under the cap: `alreadySent` messages
 * went out in the last 24 hours and at most `cap` may (0: no cap). Uncapped kinds always go
 * (and count); the rest take what is left by priority (lowest first: renewal and expiry
 * reminders, then benefits and tier moves, then member days, then points earned), then by when
 * they happened. Returns the ids that may be sent; the others are over the cap.
 */
export function withinCap(candidates: readonly CapCandidate[], alreadySent: number, cap: number): Set<string> {
  if (cap <= 0) return new Set(candidates.map((c) => c.id));
  const ordered = [...candidates].sort(
    (a, b) =>
      Number(MOMENT_POLICIES[b.kind].uncapped) - Number(MOMENT_POLICIES[a.kind].uncapped) ||
      MOMENT_POLICIES[a.kind].priority - MOMENT_POLICIES[b.kind].priority ||
      a.occurredAt.getTime() - b.occurredAt.getTime() ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  const allowed = new Set<string>();
  let sent = alreadySent;
  for (const candidate of ordered) {
    if (MOMENT_POLICIES[candidate.kind].uncapped || sent < cap) {
      allowed.add(candidate.id);
      sent++;
    }
  }
  return allowed;
}
