import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPartnerTypeDefs } from './type-defs-loader.js';

const partnersDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

describe('loadPartnerTypeDefs', () => {
  it('reads the SDL next to the module', () => {
    const moduleUrl = pathToFileURL(path.join(partnersDir, 'sparkwash', 'index.ts')).href;
    expect(loadPartnerTypeDefs(moduleUrl).definitions.length).toBeGreaterThan(0);
  });

  it('reads the SDL from the source tree when the module runs compiled from dist/', () => {
    const compiledUrl = pathToFileURL(path.join(partnersDir, '..', 'dist', 'partners', 'sparkwash', 'index.js')).href;
    expect(loadPartnerTypeDefs(compiledUrl).definitions.length).toBeGreaterThan(0);
  });

  it('names the places it looked when the SDL is missing', () => {
    const moduleUrl = pathToFileURL(path.join(partnersDir, 'no-such-partner', 'index.ts')).href;
    expect(() => loadPartnerTypeDefs(moduleUrl)).toThrow(/Partner SDL not found: looked for .*no-such-partner.schema\.graphql/);
  });
});
