// Links in the repository's markdown must stay inside the repository and lead somewhere: a
// relative link names a file that exists (and a heading in it, when it has a #fragment), and
// no path points outside the clone (`../shared/…` exists on one machine, not in a clone).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import GithubSlugger from 'github-slugger';
import { marked, type Token, type Tokens } from 'marked';

/** A link (or a path in backticks) that a reader of a fresh clone cannot follow. */
export interface BrokenLink {
  /** The markdown file, relative to the repository root. */
  file: string;
  target: string;
  problem: string;
}

const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.git']);

/** The documentation to check: `README.md`, every `docs/**` markdown file, `partners/**\/README.md`. */
export function documentationFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string, keep: (name: string) => boolean) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) walk(full, keep);
      } else if (keep(entry.name)) {
        found.push(path.relative(root, full));
      }
    }
  };
  if (existsSync(path.join(root, 'README.md'))) found.push('README.md');
  walk(path.join(root, 'docs'), (name) => name.endsWith('.md'));
  walk(path.join(root, 'partners'), (name) => name === 'README.md');
  return found.sort();
}

/** Every broken link of `file` (relative to `root`). */
export function brokenLinks(root: string, file: string): BrokenLink[] {
  const absolute = path.join(root, file);
  const tokens = marked.lexer(readFileSync(absolute, 'utf8'));
  const broken: BrokenLink[] = [];
  const report = (target: string, problem: string) => broken.push({ file, target, problem });

  marked.walkTokens(tokens, (token) => {
    if (token.type === 'link' || token.type === 'image') {
      checkTarget(root, absolute, (token as Tokens.Link | Tokens.Image).href, report);
    } else if (token.type === 'codespan') {
      // A path written out for the reader to open counts too, e.g. `../shared/DESIGN.md`.
      const text = (token as Tokens.Codespan).text;
      if (/^\.\.\/[\w./-]+$/.test(text) && !isInside(root, path.resolve(path.dirname(absolute), text))) {
        report(text, 'names a path outside the repository');
      }
    }
  });
  return broken;
}

function checkTarget(root: string, from: string, href: string, report: (target: string, problem: string) => void): void {
  if (/^(https?|mailto):/i.test(href)) return; // public pages: package documentation, specifications
  if (/^[a-z][a-z0-9+.-]*:/i.test(href)) return report(href, 'is neither a repository path nor a public web page');
  const [rawPath = '', fragment] = href.split('#', 2);
  const target = rawPath === '' ? from : path.resolve(rawPath.startsWith('/') ? root : path.dirname(from), decodeURIComponent(rawPath.split('?')[0]!));
  if (!isInside(root, target)) return report(href, 'points outside the repository');
  if (!existsSync(target)) return report(href, 'names a file that does not exist');
  if (fragment && target.endsWith('.md') && statSync(target).isFile() && !headingSlugs(target).has(fragment.toLowerCase())) {
    report(href, `names no heading of ${path.relative(root, target)}`);
  }
}

function isInside(root: string, target: string): boolean {
  const relative = path.relative(root, target);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** The anchors GitHub gives the headings of a markdown file. */
function headingSlugs(file: string): Set<string> {
  const slugger = new GithubSlugger();
  const slugs = new Set<string>();
  marked.walkTokens(marked.lexer(readFileSync(file, 'utf8')), (token) => {
    if (token.type === 'heading') slugs.add(slugger.slug(plainText((token as Tokens.Heading).tokens)));
  });
  return slugs;
}

/** The text a heading renders to: inline markup (`code`, *emphasis*, links) without its marks. */
function plainText(tokens: Token[]): string {
  return tokens
    .map((token) => ('tokens' in token && token.tokens ? plainText(token.tokens) : 'text' in token ? String(token.text) : ''))
    .join('');
}
