import fs from 'node:fs/promises';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import { STAFF_ROLE_NAMES, type StaffRole } from '../../platform/principal.js';

/** The `iss` of credentials minted by the built-in development issuer. */
export const DEV_ISSUER = 'urn:coalition-gateway:dev-issuer';

/**
 * A development-only identity provider: an Ed25519 key kept under the data directory,
 * used by `npm run dev:credential` to mint member and staff JWTs. Production never
 * trusts it (the server refuses to load it when NODE_ENV=production).
 */
export class DevIssuer {
  private constructor(
    private readonly privateKey: CryptoKey,
    readonly publicKey: CryptoKey,
    private readonly audience: string,
    private readonly roleClaim: string,
    private readonly staffRoles: Readonly<Record<StaffRole, string>>,
  ) {}

  static async open(options: {
    dir: string;
    audience: string;
    roleClaim: string;
    adminRole: string;
    /** The claim value of each staff role (`staffRoleValues(config.auth)`); @default the roles' short names, `adminRole` for ADMIN */
    staffRoles?: Readonly<Record<StaffRole, string>>;
    nodeEnv: string;
  }): Promise<DevIssuer> {
    if (options.nodeEnv === 'production') {
      throw new Error('The development issuer is disabled when NODE_ENV=production');
    }
    const file = path.join(options.dir, 'dev-issuer.private.jwk.json');
    let jwk: JWK;
    try {
      jwk = JSON.parse(await fs.readFile(file, 'utf8')) as JWK;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
      jwk = await exportJWK(privateKey);
      await fs.mkdir(options.dir, { recursive: true, mode: 0o700 });
      // wx: when two processes race on first start, one key wins and both read it.
      await fs.writeFile(file, JSON.stringify(jwk), { mode: 0o600, flag: 'wx' }).catch(async (e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e;
        jwk = JSON.parse(await fs.readFile(file, 'utf8')) as JWK;
      });
    }
    const privateKey = (await importJWK({ ...jwk, alg: 'EdDSA' }, 'EdDSA')) as CryptoKey;
    const { d: _d, ...publicJwk } = jwk;
    const publicKey = (await importJWK({ ...publicJwk, alg: 'EdDSA' }, 'EdDSA')) as CryptoKey;
    const staffRoles = options.staffRoles ?? { ...STAFF_ROLE_NAMES, ADMIN: options.adminRole };
    return new DevIssuer(privateKey, publicKey, options.audience, options.roleClaim, staffRoles);
  }

  /** A JWT for `subject`, carrying the admin role (`admin: true`) and the staff roles asked for. */
  async mint(subject: string, options: { admin?: boolean; staffRoles?: readonly StaffRole[]; ttlSeconds?: number } = {}): Promise<string> {
    const held = new Set<StaffRole>([...(options.admin ? (['ADMIN'] as const) : []), ...(options.staffRoles ?? [])]);
    const roles = [...held].map((role) => this.staffRoles[role]);
    return new SignJWT({ [this.roleClaim]: roles })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
      .setIssuer(DEV_ISSUER)
      .setSubject(subject)
      .setAudience(this.audience)
      .setIssuedAt()
      .setExpirationTime(`${options.ttlSeconds ?? 12 * 3600}s`)
      .sign(this.privateKey);
  }
}
