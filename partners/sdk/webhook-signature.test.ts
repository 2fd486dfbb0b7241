import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { generateWebhookSecret, signWebhook, verifyWebhook, WebhookVerificationError, type WebhookVerificationReason } from './webhook-signature.js';

const SENT_AT = new Date('2026-03-01T09:30:00.000Z');
const BODY = JSON.stringify({ type: 'right.activate', entitlementId: 'ent-1', memberPseudonym: 'psn-1' });
const OLD_SECRET = generateWebhookSecret();
const NEW_SECRET = generateWebhookSecret();

const at = (offsetSeconds: number) => () => new Date(SENT_AT.getTime() + offsetSeconds * 1000);

function signed(secrets: string[], body = BODY) {
  return signWebhook({ id: 'msg_1', timestamp: SENT_AT, body, secrets });
}

function refusal(run: () => unknown): { reason: WebhookVerificationReason; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof WebhookVerificationError) return { reason: error.reason, message: error.message };
    throw error;
  }
  throw new Error('expected the webhook to be refused');
}

describe('signWebhook', () => {
  it('sets the id, the timestamp in Unix seconds and one v1 signature per secret', () => {
    const headers = signed([OLD_SECRET, NEW_SECRET]);
    expect(headers['webhook-id']).toBe('msg_1');
    expect(headers['webhook-timestamp']).toBe(String(SENT_AT.getTime() / 1000));
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}= v1,[A-Za-z0-9+/]{43}=$/);
  });

  it('produces signatures the standardwebhooks reference library verifies', () => {
    const headers = signWebhook({ id: 'msg_ref', timestamp: new Date(), body: BODY, secrets: [NEW_SECRET] });
    expect(new Webhook(NEW_SECRET).verify(BODY, { ...headers })).toEqual(JSON.parse(BODY));
  });

  it('refuses a secret that is not whsec_<base64> of at least 24 bytes, without echoing it', () => {
    const sign = (secret: string) => () => signWebhook({ id: 'msg_1', timestamp: SENT_AT, body: BODY, secrets: [NEW_SECRET, secret] });
    expect(sign('not-a-secret')).toThrow(/webhook secret #2 must be whsec_ followed by the base64 of at least 24 random bytes/);
    expect(sign('whsec_c2hvcnQ=')).toThrow(TypeError);
    expect(sign('whsec_***')).toThrow(expect.objectContaining({ message: expect.not.stringContaining('***') }));
    expect(() => signWebhook({ id: 'msg_1', timestamp: SENT_AT, body: BODY, secrets: [] })).toThrow(/set at least one webhook secret/);
  });
});

describe('verifyWebhook', () => {
  it('accepts a message signed with the configured secret and returns its id and timestamp', () => {
    expect(verifyWebhook(BODY, signed([NEW_SECRET]), [NEW_SECRET], { now: at(0) })).toEqual({ id: 'msg_1', timestamp: SENT_AT });
  });

  it('accepts a message signed by the standardwebhooks reference library', () => {
    const body = Buffer.from(BODY);
    const headers = { 'webhook-id': 'msg_ref', 'webhook-timestamp': String(SENT_AT.getTime() / 1000), 'webhook-signature': new Webhook(OLD_SECRET).sign('msg_ref', SENT_AT, BODY) };
    expect(verifyWebhook(body, headers, [OLD_SECRET], { now: at(1) }).id).toBe('msg_ref');
  });

  it('accepts a message 4 min 59 s old or 4 min 59 s ahead', () => {
    expect(() => verifyWebhook(BODY, signed([NEW_SECRET]), [NEW_SECRET], { now: at(299) })).not.toThrow();
    expect(() => verifyWebhook(BODY, signed([NEW_SECRET]), [NEW_SECRET], { now: at(-299) })).not.toThrow();
  });

  it('refuses a message 5 min 01 s old with TIMESTAMP_OUT_OF_TOLERANCE', () => {
    expect(refusal(() => verifyWebhook(BODY, signed([NEW_SECRET]), [NEW_SECRET], { now: at(301) }))).toEqual({
      reason: 'TIMESTAMP_OUT_OF_TOLERANCE',
      message: 'webhook-timestamp is too old: 301 s from now, tolerance 300 s',
    });
  });

  it('refuses a message 5 min 01 s ahead with TIMESTAMP_OUT_OF_TOLERANCE', () => {
    expect(refusal(() => verifyWebhook(BODY, signed([NEW_SECRET]), [NEW_SECRET], { now: at(-301) }))).toEqual({
      reason: 'TIMESTAMP_OUT_OF_TOLERANCE',
      message: 'webhook-timestamp is too far in the future: 301 s from now, tolerance 300 s',
    });
  });

  it('honours a custom tolerance', () => {
    expect(refusal(() => verifyWebhook(BODY, signed([NEW_SECRET]), [NEW_SECRET], { now: at(61), toleranceSeconds: 60 })).reason).toBe('TIMESTAMP_OUT_OF_TOLERANCE');
  });

  it('refuses a body with one byte changed with BAD_SIGNATURE', () => {
    const headers = signed([NEW_SECRET]);
    const tampered = Buffer.from(BODY);
    tampered[tampered.indexOf('1')] = '2'.charCodeAt(0);
    expect(refusal(() => verifyWebhook(tampered, headers, [NEW_SECRET], { now: at(0) }))).toEqual({
      reason: 'BAD_SIGNATURE',
      message: 'No webhook signature matches a configured secret',
    });
  });

  it('refuses a changed webhook-id or webhook-timestamp with BAD_SIGNATURE', () => {
    const headers = signed([NEW_SECRET]);
    expect(refusal(() => verifyWebhook(BODY, { ...headers, 'webhook-id': 'msg_2' }, [NEW_SECRET], { now: at(0) })).reason).toBe('BAD_SIGNATURE');
    expect(refusal(() => verifyWebhook(BODY, { ...headers, 'webhook-timestamp': String(SENT_AT.getTime() / 1000 + 1) }, [NEW_SECRET], { now: at(0) })).reason).toBe('BAD_SIGNATURE');
  });

  it('refuses a message signed with another secret with BAD_SIGNATURE', () => {
    expect(refusal(() => verifyWebhook(BODY, signed([generateWebhookSecret()]), [NEW_SECRET], { now: at(0) })).reason).toBe('BAD_SIGNATURE');
  });

  it('ignores signatures of unknown versions', () => {
    const headers = signed([NEW_SECRET]);
    const v1 = headers['webhook-signature'].slice(3);
    expect(refusal(() => verifyWebhook(BODY, { ...headers, 'webhook-signature': `v1a,${v1}` }, [NEW_SECRET], { now: at(0) })).reason).toBe('BAD_SIGNATURE');
    expect(() => verifyWebhook(BODY, { ...headers, 'webhook-signature': `v1a,${v1} v1,${v1}` }, [NEW_SECRET], { now: at(0) })).not.toThrow();
  });

  it('refuses a message without its webhook headers with MISSING_HEADERS naming them', () => {
    const { 'webhook-signature': _signature, 'webhook-id': _id, ...rest } = signed([NEW_SECRET]);
    expect(refusal(() => verifyWebhook(BODY, rest, [NEW_SECRET], { now: at(0) }))).toEqual({
      reason: 'MISSING_HEADERS',
      message: 'Missing webhook headers: webhook-id, webhook-signature',
    });
    expect(refusal(() => verifyWebhook(BODY, { ...signed([NEW_SECRET]), 'webhook-timestamp': '2026-03-01T09:30:00Z' }, [NEW_SECRET])).reason).toBe('MISSING_HEADERS');
  });

  it('reads headers case-insensitively, from fetch Headers too', () => {
    const headers = signed([NEW_SECRET]);
    const upper = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toUpperCase(), value]));
    expect(() => verifyWebhook(BODY, upper, [NEW_SECRET], { now: at(0) })).not.toThrow();
    expect(() => verifyWebhook(BODY, new Headers({ ...headers }), [NEW_SECRET], { now: at(0) })).not.toThrow();
  });

  describe('secret rotation', () => {
    const duringRotation = () => signed([OLD_SECRET, NEW_SECRET]);

    it('accepts a message signed with old and new by a receiver that knows only the old secret', () => {
      expect(() => verifyWebhook(BODY, duringRotation(), [OLD_SECRET], { now: at(0) })).not.toThrow();
    });

    it('accepts a message signed with old and new by a receiver that knows only the new secret', () => {
      expect(() => verifyWebhook(BODY, duringRotation(), [NEW_SECRET], { now: at(0) })).not.toThrow();
    });

    it('accepts a message signed with old and new by a receiver that knows both', () => {
      expect(() => verifyWebhook(BODY, duringRotation(), [OLD_SECRET, NEW_SECRET], { now: at(0) })).not.toThrow();
    });

    it('refuses, after the rotation, a message signed with the new secret at a receiver that knows only the old one', () => {
      expect(refusal(() => verifyWebhook(BODY, signed([NEW_SECRET]), [OLD_SECRET], { now: at(0) })).reason).toBe('BAD_SIGNATURE');
    });
  });
});

describe('generateWebhookSecret', () => {
  it('returns a fresh whsec_ secret of 32 random bytes each time', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(secret);
  });
});
