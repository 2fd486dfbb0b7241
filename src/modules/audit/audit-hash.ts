import { createHash, createHmac } from 'node:crypto';
import type { AuditKey } from './audit-keyring.js';

/** The hashed fields of one legacy row (plain SHA-256, before chains and keys), as stored. */
export interface ChainedFields {
  seq: number;
  at: Date;
  actor: string;
  action: string;
  subject: string;
  before: unknown;
  after: unknown;
  requestId: string | null;
  prevHash: string;
}

/** The authenticated fields of one keyed row: a legacy row's plus its chain and key id. */
export interface KeyedChainedFields extends ChainedFields {
  chain: number;
  keyId: string;
}

/** The `prev_hash` of the first row of a chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted at every level, so equal values hash equally (jsonb reorders keys). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

function legacyCanonical(fields: ChainedFields): Record<string, unknown> {
  return {
    seq: fields.seq,
    at: fields.at.toISOString(),
    actor: fields.actor,
    action: fields.action,
    subject: fields.subject,
    before: fields.before,
    after: fields.after,
    request_id: fields.requestId,
    prev_hash: fields.prevHash,
  };
}

/**
 * SHA-256 (hex) over the canonical JSON of a legacy row's fields: how rows were hashed before
 * the log was keyed (chain 0, no key id). Anyone can recompute it, so it only detects
 * accidental damage and tampering by someone who does not recompute the chain.
 */
export function auditHash(fields: ChainedFields): string {
  return createHash('sha256').update(canonicalJson(legacyCanonical(fields))).digest('hex');
}

/**
 * HMAC-SHA256 (hex) under `key` over the canonical JSON of a keyed row's fields, its chain
 * and key id included: without the key nobody can write a row, or rewrite one, that verifies.
 */
export function auditHmac(key: AuditKey, fields: KeyedChainedFields): string {
  if (key.id !== fields.keyId) throw new TypeError(`audit row names key ${fields.keyId}, HMAC asked under key ${key.id}`);
  const canonical = canonicalJson({ ...legacyCanonical(fields), v: 2, chain: fields.chain, key_id: fields.keyId });
  return createHmac('sha256', key.secret).update(canonical).digest('hex');
}
