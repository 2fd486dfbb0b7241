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

let cached: { credential: string; viewer: Viewer } | null = null;

/** The signed-in caller (asked of the server once per credential). */
export async function loadViewer(): Promise<Viewer> {
  const session = currentSession();
  if (!session) return { kind: 'ANONYMOUS', staffRoles: [], can: [], partner: null };
  if (cached?.credential === session.credential) return cached.viewer;
  // Provisional until the server's `viewer` query: a key is a partner's, a JWT with roles is staff.
  const viewer: Viewer =
    session.kind === 'key'
      ? { kind: 'PARTNER', staffRoles: [], can: ['PARTNER_PORTAL'], partner: null }
      : { kind: 'MEMBER', staffRoles: session.roles, can: session.roles.length ? ['CONFIGURE', 'PUBLISH', 'VIEW_FIGURES', 'LOOK_UP_MEMBERS', 'REFUND', 'REVOKE', 'EXPORT', 'SETTLEMENT', 'AUDIT'] : [], partner: null };
  cached = { credential: session.credential, viewer };
  return viewer;
}

export const can = (viewer: Viewer, capability: Capability): boolean => viewer.can.includes(capability);
