// The console's pages. Each pages/*.page.ts exports `pages` (and its own words, see
// `messages` in i18n.ts): adding a page is adding a file, with no list to edit here or in main.ts.
import type { Viewer } from './viewer.js';

export interface Page {
  /** The first segment of its hash route: `#/<route>/<rest…>`. */
  route: string;
  /** In the header's navigation, ordered by `order`; without it, reached by links only. */
  nav?: { order: number; label: () => string };
  /** Whether the signed-in caller is offered it (the server refuses what a role may not do anyway). */
  offered?: (viewer: Viewer) => boolean;
  /** Draws the page into `main`; `rest` is the route after its first segment, decoded. */
  render(main: HTMLElement, rest: string[]): void | Promise<void>;
}

const modules = import.meta.glob<Page[] | undefined>('./pages/*.page.ts', { eager: true, import: 'pages' });

export const PAGES: readonly Page[] = Object.values(modules)
  .flatMap((pages) => pages ?? [])
  .sort((a, b) => (a.nav?.order ?? Infinity) - (b.nav?.order ?? Infinity));

/** The pages the caller is offered, in navigation order. */
export const offeredPages = (viewer: Viewer): Page[] => PAGES.filter((page) => page.offered?.(viewer) ?? true);
