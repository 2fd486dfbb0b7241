import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

function capture(): { lines: Array<Record<string, unknown>>; logger: ReturnType<typeof createLogger> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger('debug', sink) };
}

describe('createLogger', () => {
  it('redacts authorization headers, tokens, API keys, secrets and variables', () => {
    const { lines, logger } = capture();
    logger.info({
      authorization: 'Bearer top',
      headers: { authorization: 'Bearer nested', 'x-api-key': 'k1', 'x-gateway-signature': 't=1,v1=ab' },
      req: { headers: { authorization: 'Bearer deeper' } },
      token: 'tok-1',
      partner: { apiKey: 'pk_live', secret: 's3', token: 'tok-2' },
      secrets: ['a', 'b'],
      variables: { code: 'ABC' },
      keep: 'visible',
    }, 'request');
    const text = JSON.stringify(lines[0]);
    for (const leaked of ['Bearer', 'k1', 't=1,v1', 'tok-1', 'tok-2', 'pk_live', 's3', '"a"', 'ABC']) expect(text).not.toContain(leaked);
    expect(lines[0]).toMatchObject({ keep: 'visible', msg: 'request' });
  });

  it('keeps the request id on a child logger', () => {
    const { lines, logger } = capture();
    logger.child({ requestId: 'r-1' }).debug({ operation: 'Me' }, 'subgraph operation');
    expect(lines[0]).toMatchObject({ requestId: 'r-1', operation: 'Me' });
  });
});
