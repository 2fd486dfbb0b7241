// Who is signed in, as the server sees it (the `viewer` query): what kind of caller, which staff
// roles, and which of the console's capabilities those give, from the same table the server's
// guards use (src/platform/capabilities.ts). Pages use it to offer only what the caller may do;
// the server still refuses everything else.
import { ViewerDocument, type Capability, type ViewerQuery } from '@coalition-gateway/client';
import { ApiError, request } from './api.js';
import { currentSession } from './session.js';

export type { Capability };

export type Viewer = ViewerQuery['viewer'] & {
  /** Why the server refused the credential (then the console asks for another). */
  rejected?: string;
};

const ANONYMOUS: Viewer = { kind: 'ANONYMOUS', staffRoles: [], memberId: null, channel: null, can: [], partner: null };

let cached: { credential: string; viewer: Viewer } | null = null;

/** The signed-in caller, asked of the server once per credential. */
export async function loadViewer(): Promise<Viewer> {
  const session = currentSession();
  if (!session) return ANONYMOUS;
  if (cached?.credential === session.credential) return cached.viewer;
  let viewer: Viewer;
  try {
    viewer = (await request(ViewerDocument, {})).viewer;
  } catch (error) {
    const refused = error instanceof ApiError ? error.errors.find((e) => e.code === 'UNAUTHENTICATED') : undefined;
    if (!refused) throw error;
    return { ...ANONYMOUS, rejected: refused.message };
  }
  cached = { credential: session.credential, viewer };
  return viewer;
}

export const can = (viewer: Viewer, capability: Capability): boolean => viewer.can.includes(capability);
