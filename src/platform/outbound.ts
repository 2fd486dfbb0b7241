import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { Readable } from 'node:stream';

/**
 * Where a third party's URL may point: partners register their own subgraphs, and we call
 * them, so a registration must not turn us into a way into our own network (SSRF).
 */
export interface OutboundPolicy {
  /** Refuse `http:`. Production always requires HTTPS. */
  requireHttps: boolean;
  /** Refuse hosts that resolve to loopback, private, link-local or otherwise non-public addresses. */
  publicOnly: boolean;
  /** Name resolution (tests pass their own). @default dns.lookup */
  lookup?: typeof dns.lookup;
}

const NOT_PUBLIC = new net.BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this" network, unspecified
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata services live here)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
  ['64:ff9b:1::', 48], // local-use NAT64
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv6');
}

/** True for an address on the public internet: not loopback, private, link-local, multicast or reserved. */
export function isPublicAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 0) return false;
  if (family === 6) {
    // An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is the IPv4 address.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return isPublicAddress(mapped[1]!);
    return !NOT_PUBLIC.check(address, 'ipv6');
  }
  return !NOT_PUBLIC.check(address, 'ipv4');
}

/** Everything wrong with `url` under `policy` (empty when it may be called), resolving its host. */
export async function outboundUrlProblems(url: string, policy: OutboundPolicy): Promise<string[]> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return ['must be an absolute http(s) URL'];
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return ['must be an http(s) URL'];
  const problems: string[] = [];
  if (policy.requireHttps && parsed.protocol !== 'https:') problems.push('must be an https URL');
  if (parsed.username || parsed.password) problems.push('must not carry credentials');
  if (policy.publicOnly) {
    try {
      const refused = (await resolveAll(hostOf(parsed), policy.lookup ?? dns.lookup)).filter((a) => !isPublicAddress(a));
      if (refused.length) problems.push(`must not resolve to a loopback, private or link-local address (${hostOf(parsed)} is ${refused.join(', ')})`);
    } catch {
      problems.push(`its host ${hostOf(parsed)} does not resolve`);
    }
  }
  return problems;
}

/** The URL's host as name resolution takes it (IPv6 literals without brackets). */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

function resolveAll(host: string, lookup: typeof dns.lookup): Promise<string[]> {
  if (net.isIP(host)) return Promise.resolve([host]);
  return new Promise((resolve, reject) =>
    lookup(host, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses.map((a) => a.address)))),
  );
}

/** Thrown (and turned into a failed fetch) when a call would reach a non-public address. */
export class OutboundAddressError extends Error {
  constructor(host: string, address: string) {
    super(`refused to connect to ${host}: it resolves to ${address}, not a public address`);
    this.name = 'OutboundAddressError';
  }
}

/**
 * A `fetch` for third parties' URLs that applies `policy` at every connection, where the
 * address is actually chosen: a name that resolved to a public address at registration and
 * to a private one now (DNS rebinding) is refused before a byte is sent.
 */
export function policedFetch(policy: OutboundPolicy): typeof fetch {
  const lookup = policy.lookup ?? dns.lookup;
  const guardedLookup: net.LookupFunction = (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 4);
      const list = addresses as dns.LookupAddress[];
      const refused = policy.publicOnly ? list.find((a) => !isPublicAddress(a.address)) : undefined;
      if (refused) return callback(new OutboundAddressError(hostname, refused.address), '', 4);
      if (options.all) return (callback as unknown as (e: null, all: dns.LookupAddress[]) => void)(null, list);
      return callback(null, list[0]!.address, list[0]!.family);
    });
  };
  return async (input, init = {}) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    if (policy.requireHttps && url.protocol !== 'https:') throw new TypeError(`refused to call ${url.origin}: not https`);
    const host = hostOf(url);
    if (policy.publicOnly && net.isIP(host) && !isPublicAddress(host)) throw new OutboundAddressError(host, host);
    const headers = new Headers(init.headers);
    const body = init.body == null ? undefined : typeof init.body === 'string' ? init.body : Buffer.from(await new Response(init.body).arrayBuffer());
    return new Promise<Response>((resolve, reject) => {
      const request = (url.protocol === 'https:' ? https : http).request(
        url,
        {
          method: init.method ?? 'GET',
          headers: Object.fromEntries(headers.entries()),
          lookup: guardedLookup,
          ...(init.signal ? { signal: init.signal } : {}),
        },
        (response) => {
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(response.headers)) {
            if (value === undefined) continue;
            for (const v of Array.isArray(value) ? value : [value]) responseHeaders.append(name, v);
          }
          const status = response.statusCode ?? 502;
          const noBody = status === 204 || status === 304 || init.method === 'HEAD';
          resolve(new Response(noBody ? null : (Readable.toWeb(response) as ReadableStream), { status, statusText: response.statusMessage ?? '', headers: responseHeaders }));
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  };
}
