// Who is signed in, as the server sees it: what kind of caller, which staff roles, and which of
// the console's capabilities those give. Pages use it to offer only what the caller may do; the
// server still refuses everything else.
import { currentSession } from './session.js';

export type Capability =
  | 'CONFIGURE'
  | 'PUBLISH'
  | 'VIEW_FIGURES'
  | 'LOOK_UP_MEMBERS'
  | 'REFUND'
  | 'REVOKE'
  | 'EXPORT'
  | 'SETTLEMENT'
  | 'AUDIT'
  | 'PARTNER_PORTAL';

export interface Viewer {
  kind: 'MEMBER' | 'PARTNER' | 'CHANNEL' | 'ANONYMOUS';
  staffRoles: readonly string[];
  can: readonly Capability[];
  partner: { id: string; name: string } | null;
}

/** Which staff roles hold each capability besides an admin (the server's table, until `viewer` asks it). */
const HOLDERS: Record<Exclude<Capability, 'PARTNER_PORTAL'>, readonly string[]> = {
  CONFIGURE: ['pm'],
  PUBLISH: ['pm'],
  VIEW_FIGURES: ['pm', 'finance', 'analyst'],
  LOOK_UP_MEMBERS: ['support'],
  REFUND: ['support'],
  REVOKE: ['support'],
  EXPORT: ['support'],
  SETTLEMENT: ['pm', 'finance'],
  AUDIT: [],
};
const ALL = Object.keys(HOLDERS) as Array<keyof typeof HOLDERS>;

let cached: { credential: string; viewer: Viewer } | null = null;

/** The signed-in caller (asked of the server once per credential). */
export async function loadViewer(): Promise<Viewer> {
  const session = currentSession();
  if (!session) return { kind: 'ANONYMOUS', staffRoles: [], can: [], partner: null };
  if (cached?.credential === session.credential) return cached.viewer;
  // Provisional until the server's `viewer` query: a key is a partner's, a JWT's roles (their
  // default claim values) give what docs/contract.md "Roles" lets each call.
  const viewer: Viewer =
    session.kind === 'key'
      ? { kind: 'PARTNER', staffRoles: [], can: ['PARTNER_PORTAL'], partner: null }
      : { kind: 'MEMBER', staffRoles: session.roles, can: ALL.filter((c) => session.roles.some((role) => role === 'admin' || HOLDERS[c].includes(role))), partner: null };
  cached = { credential: session.credential, viewer };
  return viewer;
}

export const can = (viewer: Viewer, capability: Capability): boolean => viewer.can.includes(capability);
