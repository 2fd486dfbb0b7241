// Who is signed in: the pasted credential, kept in sessionStorage (this tab only, gone when it
// closes) and sent as `Authorization: Bearer`. The console reads a JWT's claims only to show
// who it is; the server checks it on every request.

const KEY = 'console.credential';

export interface Session {
  credential: string;
  /** The JWT's subject (with its roles), or a partner key's prefix. */
  who: string;
  kind: 'jwt' | 'key';
  /** A JWT's role claims, as the identity provider wrote them (the server decides what they allow). */
  roles: string[];
}

export function currentSession(): Session | null {
  const credential = sessionStorage.getItem(KEY);
  return credential ? describe(credential) : null;
}

export function signIn(credential: string): Session {
  const trimmed = credential.trim().replace(/^Bearer\s+/i, '');
  sessionStorage.setItem(KEY, trimmed);
  return describe(trimmed);
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
}

function describe(credential: string): Session {
  const claims = jwtClaims(credential);
  if (!claims) return { credential, kind: 'key', who: credential.slice(0, 12), roles: [] };
  const roles = [claims.roles, claims.role].flat().filter((r): r is string => typeof r === 'string');
  const subject = typeof claims.sub === 'string' ? claims.sub : '?';
  return { credential, kind: 'jwt', who: roles.length ? `${subject} (${roles.join(', ')})` : subject, roles };
}

function jwtClaims(credential: string): Record<string, unknown> | null {
  const parts = credential.split('.');
  if (parts.length !== 3) return null;
  try {
    const json = atob(parts[1]!.replace(/-/g, '+').replace(/_/g, '/'));
    const claims: unknown = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0))));
    return claims && typeof claims === 'object' ? (claims as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
