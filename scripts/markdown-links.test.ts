import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { brokenLinks, documentationFiles } from './markdown-links.js';

const REPOSITORY_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe("the repository's documentation", () => {
  it('covers README.md, docs/ and every partner README', () => {
    const files = documentationFiles(REPOSITORY_ROOT);

    expect(files).toContain('README.md');
    expect(files).toContain('docs/contract.md');
    expect(files).toContain('partners/verifier-kit/README.md');
  });

  it('links only inside the repository, to files and headings that exist', () => {
    const broken = documentationFiles(REPOSITORY_ROOT).flatMap((file) => brokenLinks(REPOSITORY_ROOT, file));

    expect(broken).toEqual([]);
  });
});

describe('brokenLinks', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'markdown-links-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function check(markdown: string): string[] {
    mkdirSync(path.join(root, 'docs'), { recursive: true });
    writeFileSync(path.join(root, 'docs', 'guide.md'), '# Guide\n\n## Setting up `npm ci` *quickly*\n');
    writeFileSync(path.join(root, 'README.md'), markdown);
    return brokenLinks(root, 'README.md').map((b) => `${b.target}: ${b.problem}`);
  }

  it('accepts relative links to files and headings that exist, anchors in the same file and public pages', () => {
    expect(
      check(
        '# Top\n\nSee [the guide](docs/guide.md), [its setup](docs/guide.md#setting-up-npm-ci-quickly), [top](#top), ' +
          '[docs](docs/), [jose](https://github.com/panva/jose) and <https://www.npmjs.com/package/jose>.\n',
      ),
    ).toEqual([]);
  });

  it('refuses a link outside the repository', () => {
    expect(check('The contract is in [DESIGN](../shared/DESIGN.md).\n')).toEqual(['../shared/DESIGN.md: points outside the repository']);
  });

  it('refuses a path outside the repository written in backticks', () => {
    expect(check('The contract is in `../shared/DESIGN.md`.\n')).toEqual(['../shared/DESIGN.md: names a path outside the repository']);
  });

  it('refuses a link to a file that does not exist, by inline or reference link', () => {
    expect(check('See [the contract](docs/contract.md) and [the FAQ][faq].\n\n[faq]: docs/faq.md\n')).toEqual([
      'docs/contract.md: names a file that does not exist',
      'docs/faq.md: names a file that does not exist',
    ]);
  });

  it('refuses an anchor that names no heading, here or in the linked file', () => {
    expect(check('# Top\n\n[gone](#nowhere) and [also gone](docs/guide.md#install)\n')).toEqual([
      '#nowhere: names no heading of README.md',
      'docs/guide.md#install: names no heading of docs/guide.md',
    ]);
  });

  it('refuses a local file URL', () => {
    expect(check('[design](file:///work/shared/DESIGN.md)\n')).toEqual(['file:///work/shared/DESIGN.md: is neither a repository path nor a public web page']);
  });
});
