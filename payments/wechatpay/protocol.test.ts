import { createVerify, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  answerMessage,
  authorizationHeader,
  decryptResource,
  encryptResource,
  fromOutNo,
  parseAuthorization,
  requestMessage,
  rsaSign,
  rsaVerify,
  timestampWithinTolerance,
  toOutNo,
} from './protocol.js';

// The adapter and the sandbox share these helpers, so a mistake here would pass every test that
// runs one against the other: these cases write the wire format out literally, as WeChat Pay's
// documentation does, and check signatures with node:crypto's own verifier.

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

describe('signed messages', () => {
  it('a request is METHOD, URL (path and query), timestamp, nonce and body, each followed by a line feed', () => {
    expect(requestMessage('POST', '/v3/pay/transactions/jsapi', '1554208460', '593BEC0C930BF1AFEB40B4A08C8FB242', '{"appid":"wx1"}')).toBe(
      'POST\n/v3/pay/transactions/jsapi\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n{"appid":"wx1"}\n',
    );
  });

  it('a GET signs an empty body as an empty last line', () => {
    expect(requestMessage('GET', '/v3/pay/transactions/out-trade-no/1217752501201407033233368018?mchid=1230000109', '1554208460', 'NONCE', '')).toBe(
      'GET\n/v3/pay/transactions/out-trade-no/1217752501201407033233368018?mchid=1230000109\n1554208460\nNONCE\n\n',
    );
  });

  it('an answer or a notification is timestamp, nonce and body, each followed by a line feed', () => {
    expect(answerMessage('1554209980', 'c5ac7061fccab6bf3e254dcf98995b8c', '{"id":"EV-1"}')).toBe('1554209980\nc5ac7061fccab6bf3e254dcf98995b8c\n{"id":"EV-1"}\n');
  });

  it('rsaSign is RSA-SHA256 (PKCS#1 v1.5) in base64: node verifies it as sha256WithRSAEncryption', () => {
    const message = answerMessage('1554209980', 'NONCE', '{}');
    const signature = rsaSign(message, privateKey);

    expect(createVerify('sha256WithRSAEncryption').update(message).verify(publicKey, signature, 'base64')).toBe(true);
    expect(rsaVerify(message, signature, publicKey)).toBe(true);
    expect(rsaVerify(`${message} `, signature, publicKey)).toBe(false);
  });
});

describe('Authorization', () => {
  const fields = { mchid: '1900009191', serial_no: '1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C', timestamp: '1554208460', nonce_str: '593BEC0C930BF1AFEB40B4A08C8FB242', signature: 'uOVRnA4qG/MNnYzdQxJanN+zU+lTgIcnU9BxGw5dKjK+VdEUz2FeIoC+D5sB/LN+nGzX3hfZg6r5wT1pl2ZobmIc6p0ldN7J6yDgUzbX8Uk3sD4a4eZVPTBvqNDoUqcYMlZ9uuDdCvNv4TM3c1WzsXUrExwVkI1XO5jCNbgDJ25nkT/c1gIFvqoogl7MdSFGc4W4xZsqCItnqbypR3RuGIlR9h9vlRsy7zJR9PBI83X8alLDIfR1ukt1P7tMnmogZ0cuDY8cZsd8ZlCgLadmvej58SLsIkVxFJ8XyUgx9FmutKSYTmYtWBZ0+tNvfGmbXU7cob8H/4nLBiCwIUFluw==' };

  it('is WECHATPAY2-SHA256-RSA2048 followed by the five parameters, quoted', () => {
    expect(authorizationHeader(fields)).toBe(
      `WECHATPAY2-SHA256-RSA2048 mchid="1900009191",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",timestamp="1554208460",serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C",signature="${fields.signature}"`,
    );
  });

  it('reads back in any order', () => {
    const reordered = `WECHATPAY2-SHA256-RSA2048 signature="${fields.signature}",timestamp="1554208460",serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C",mchid="1900009191",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242"`;

    expect(parseAuthorization(reordered)).toEqual(fields);
  });

  it.each([
    [undefined, 'no Authorization header'],
    ['Basic abc', 'the Authorization scheme is not WECHATPAY2-SHA256-RSA2048'],
    ['WECHATPAY2-SHA256-RSA2048 mchid=1', 'the Authorization parameters are not key="value" pairs'],
    ['WECHATPAY2-SHA256-RSA2048 mchid="1",mchid="2"', 'the Authorization parameter mchid is given twice'],
    ['WECHATPAY2-SHA256-RSA2048 mchid="1"', 'the Authorization header lacks serial_no, timestamp, nonce_str, signature'],
  ])('refuses %s: %s', (header, problem) => {
    expect(parseAuthorization(header)).toEqual({ problem });
  });
});

describe('AEAD_AES_256_GCM resources', () => {
  const key = 'abcdefghijklmnopqrstuvwxyz012345';

  it('is base64 of the ciphertext and its 16-byte tag, and decrypts with the same key, nonce and associated data', () => {
    const ciphertext = encryptResource('{"trade_state":"SUCCESS"}', key, 'fdasflkja484', 'transaction');

    expect(Buffer.from(ciphertext, 'base64')).toHaveLength('{"trade_state":"SUCCESS"}'.length + 16);
    expect(decryptResource(ciphertext, key, 'fdasflkja484', 'transaction')).toBe('{"trade_state":"SUCCESS"}');
  });

  it.each([
    ['another key', (c: string) => decryptResource(c, 'x'.repeat(32), 'fdasflkja484', 'transaction')],
    ['another nonce', (c: string) => decryptResource(c, key, 'fdasflkja485', 'transaction')],
    ['other associated data', (c: string) => decryptResource(c, key, 'fdasflkja484', 'certificate')],
    ['a flipped ciphertext byte', (c: string) => {
      const bytes = Buffer.from(c, 'base64');
      bytes[0]! ^= 1;
      return decryptResource(bytes.toString('base64'), key, 'fdasflkja484', 'transaction');
    }],
    ['a truncated ciphertext', () => decryptResource('AAAA', key, 'fdasflkja484', 'transaction')],
  ])('refuses to decrypt with %s', (_, decrypt) => {
    const ciphertext = encryptResource('{"trade_state":"SUCCESS"}', key, 'fdasflkja484', 'transaction');

    expect(() => decrypt(ciphertext)).toThrow();
  });
});

describe('our ids as out_trade_no', () => {
  it('a UUID (36 characters) loses its hyphens to fit the 32 allowed, and comes back as it was', () => {
    expect(toOutNo('0F8FAD5B-D9CB-469F-A165-70867728950E')).toBe('0f8fad5bd9cb469fa16570867728950e');
    expect(fromOutNo('0f8fad5bd9cb469fa16570867728950e')).toBe('0f8fad5b-d9cb-469f-a165-70867728950e');
  });

  it('any other id of 6–32 allowed characters goes as it is', () => {
    expect(toOutNo('pay_2026-12|renewal*1')).toBe('pay_2026-12|renewal*1');
    expect(fromOutNo('pay_2026-12|renewal*1')).toBe('pay_2026-12|renewal*1');
  });

  it.each([['short'], ['x'.repeat(33)], ['has space'], ['ü-not-ascii'], ['a'.repeat(32)]])('refuses %s', (id) => {
    expect(toOutNo(id)).toBeNull();
  });
});

it('the clock tolerance is 5 minutes either way', () => {
  const now = 1_800_000_000_000;

  expect(timestampWithinTolerance('1800000300', now)).toBe(true);
  expect(timestampWithinTolerance('1799999700', now)).toBe(true);
  expect(timestampWithinTolerance('1800000301', now)).toBe(false);
  expect(timestampWithinTolerance('1799999699', now)).toBe(false);
  expect(timestampWithinTolerance('18e8', now)).toBe(false);
});
