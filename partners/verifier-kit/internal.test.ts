// The canonical-spelling check agrees with decoding and encoding again, on every length and
// every last character (seen failing with the spare-bit masks swapped and with 4n+1 accepted).
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isCanonicalBase64url } from './internal.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('isCanonicalBase64url', () => {
  it('says what a decode and re-encode says, for every last character of parts of 0 to 90 characters', () => {
    for (let length = 0; length <= 90; length++) {
      const body = randomBytes(length).toString('base64url').slice(0, Math.max(0, length - 1));
      for (const last of length === 0 ? [''] : ALPHABET) {
        const part = body + last;
        expect(isCanonicalBase64url(part), part).toBe(Buffer.from(part, 'base64url').toString('base64url') === part);
      }
    }
  });
});
