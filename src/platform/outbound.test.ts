import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type dns from 'node:dns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPublicAddress, OutboundAddressError, outboundUrlProblems, policedFetch } from './outbound.js';

/** A resolver that answers every name with `address` (as DNS would, all addresses at once). */
function resolvingTo(address: string, family = address.includes(':') ? 6 : 4): typeof dns.lookup {
  return ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  }) as unknown as typeof dns.lookup;
}

describe('isPublicAddress', () => {
  it.each([
    ['93.184.216.34', true],
    ['8.8.8.8', true],
    ['2606:4700:4700::1111', true],
    ['127.0.0.1', false],
    ['127.255.0.9', false],
    ['10.0.0.1', false],
    ['172.16.5.4', false],
    ['172.32.0.1', true],
    ['192.168.1.1', false],
    ['169.254.169.254', false],
    ['100.64.0.1', false],
    ['0.0.0.0', false],
    ['224.0.0.1', false],
    ['::1', false],
    ['::', false],
    ['fe80::1', false],
    ['fd00::1', false],
    ['::ffff:10.0.0.1', false],
    ['::ffff:8.8.8.8', true],
    ['not an address', false],
  ])('%s → %s', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });
});

describe('outboundUrlProblems', () => {
  const strict = { requireHttps: true, publicOnly: true, lookup: resolvingTo('93.184.216.34') };

  it('accepts an https URL whose host resolves to public addresses only', async () => {
    expect(await outboundUrlProblems('https://partner.example/graphql', strict)).toEqual([]);
  });

  it('lists every problem at once: not https, credentials in the URL, a private address', async () => {
    expect(await outboundUrlProblems('http://user:pw@partner.example/graphql', { ...strict, lookup: resolvingTo('10.0.0.7') })).toEqual([
      'must be an https URL',
      'must not carry credentials',
      'must not resolve to a loopback, private or link-local address (partner.example is 10.0.0.7)',
    ]);
  });

  it('refuses an address literal without asking DNS, and a host that does not resolve', async () => {
    expect(await outboundUrlProblems('https://[::1]:8443/graphql', strict)).toEqual(['must not resolve to a loopback, private or link-local address (::1 is ::1)']);
    const failing = ((_h: string, _o: unknown, callback: (error: Error) => void) => callback(new Error('ENOTFOUND'))) as unknown as typeof dns.lookup;
    expect(await outboundUrlProblems('https://nowhere.example/graphql', { ...strict, lookup: failing })).toEqual(['its host nowhere.example does not resolve']);
  });

  it('refuses what is not an http(s) URL', async () => {
    expect(await outboundUrlProblems('file:///etc/passwd', strict)).toEqual(['must be an http(s) URL']);
    expect(await outboundUrlProblems('not a url', strict)).toEqual(['must be an absolute http(s) URL']);
  });

  it('lets development use loopback when the policy allows it', async () => {
    expect(await outboundUrlProblems('http://127.0.0.1:4011/graphql', { requireHttps: false, publicOnly: false })).toEqual([]);
  });
});

describe('policedFetch', () => {
  let server: http.Server;
  let port: number;
  const hits: string[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      hits.push(`${req.method} ${req.url} ${req.headers['x-test'] ?? ''}`);
      req.resume();
      req.on('end', () => {
        res.writeHead(201, { 'content-type': 'application/json', 'x-answer': 'yes' });
        res.end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('calls an allowed address and returns its answer as a fetch Response', async () => {
    const response = await policedFetch({ requireHttps: false, publicOnly: false })(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'x-test': 'one', 'content-type': 'application/json' },
      body: '{"query":"{ __typename }"}',
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-answer')).toBe('yes');
    expect(await response.json()).toEqual({ ok: true });
    expect(hits.at(-1)).toBe('POST /graphql one');
  });

  it('refuses, before connecting, a name that resolves to a non-public address now (DNS rebinding)', async () => {
    const before = hits.length;
    const fetchIt = policedFetch({ requireHttps: false, publicOnly: true, lookup: resolvingTo('127.0.0.1') });
    await expect(fetchIt(`http://partner.example:${port}/graphql`, { method: 'POST', body: '{}' })).rejects.toThrow(OutboundAddressError);
    expect(hits.length).toBe(before);
  });

  it('refuses an address literal that is not public, and plain http when https is required', async () => {
    const before = hits.length;
    await expect(policedFetch({ requireHttps: false, publicOnly: true })(`http://127.0.0.1:${port}/graphql`)).rejects.toThrow(/127\.0\.0\.1, not a public address/);
    await expect(policedFetch({ requireHttps: true, publicOnly: false })(`http://127.0.0.1:${port}/graphql`)).rejects.toThrow(/not https/);
    expect(hits.length).toBe(before);
  });
});
