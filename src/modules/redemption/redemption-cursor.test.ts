import { describe, expect, it } from 'vitest';
import { decodeRedemptionCursor, encodeRedemptionCursor } from './redemption-cursor.js';

const position = { createdAtMicros: '1795660800123456', id: '0b6f2c1e-8a4d-4c1b-9f3e-2d7a5b6c8e90' };

describe('redemption cursors', () => {
  it('round-trips a position through an opaque base64url string', () => {
    const cursor = encodeRedemptionCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain(position.id);
    expect(decodeRedemptionCursor(cursor)).toEqual(position);
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'not a cursor!'],
    ['another prefix', Buffer.from(`x1:1:${position.id}`).toString('base64url')],
    ['no id', Buffer.from('r1:1795660800123456').toString('base64url')],
    ['a non-uuid id', Buffer.from('r1:1795660800123456:42').toString('base64url')],
    ['a non-numeric instant', Buffer.from(`r1:yesterday:${position.id}`).toString('base64url')],
    ['extra parts', Buffer.from(`r1:1:${position.id}:x`).toString('base64url')],
    ['too long', 'A'.repeat(400)],
  ])('refuses %s with BAD_USER_INPUT', (_name, cursor) => {
    expect(() => decodeRedemptionCursor(cursor)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  });

  it('refuses a non-canonical spelling of a valid cursor', () => {
    const cursor = encodeRedemptionCursor(position);
    // Flip the spare low bits of the last character: decodes to the same bytes.
    const last = cursor.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respelled = cursor.slice(0, -1) + alphabet[alphabet.indexOf(last) ^ 1];
    expect(Buffer.from(respelled, 'base64url')).toEqual(Buffer.from(cursor, 'base64url'));
    expect(() => decodeRedemptionCursor(respelled)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  });
});
