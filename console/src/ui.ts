// Pieces every page uses: form fields that can show a server problem, error boxes, tables.
import { ApiError, type Problem } from './api.js';
import { freshId, h, type Child } from './dom.js';
import { t } from './i18n.js';

/**
 * A labelled control inside a container named by `data-field` (the server's field path, e.g.
 * `changes[1].quota`), with a place for that field's problem, tied to the control by
 * aria-describedby.
 */
export function field(path: string, label: string, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement): HTMLElement {
  control.id ||= freshId('f');
  const problemId = `${control.id}-problem`;
  control.setAttribute('aria-describedby', problemId);
  return h('div', { class: 'field', 'data-field': path }, h('label', { for: control.id }, label), control, h('p', { class: 'problem', id: problemId, hidden: true }));
}

/** Where a server field with another name than the form's shows its problem. */
const ALIASES: Record<string, string> = { priceAmount: 'price.amount', currency: 'price.currency', rulesJson: 'rules', configJson: 'config' };

/**
 * Shows each problem next to its field: the field itself, else its alias, else the nearest
 * enclosing container (`changes[3]`, then `changes`), else the form's own general place.
 * Controls with a problem get aria-invalid.
 */
export function placeProblems(root: HTMLElement, problems: readonly Problem[]): void {
  clearProblems(root);
  for (const problem of problems) {
    const target = containerFor(root, problem.field);
    const slot = target.querySelector<HTMLElement>(':scope > .problem');
    if (!slot) continue;
    slot.hidden = false;
    slot.textContent = slot.textContent ? `${slot.textContent} · ${problem.message}` : problem.message;
    target.classList.add('has-problem');
    target.querySelector(':scope > input, :scope > select, :scope > textarea')?.setAttribute('aria-invalid', 'true');
  }
}

export function clearProblems(root: HTMLElement): void {
  for (const slot of root.querySelectorAll<HTMLElement>('.problem')) {
    slot.hidden = true;
    slot.textContent = '';
  }
  for (const el of root.querySelectorAll('.has-problem')) el.classList.remove('has-problem');
  for (const el of root.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
}

function containerFor(root: HTMLElement, path: string): HTMLElement {
  const find = (p: string) => root.querySelector<HTMLElement>(`[data-field="${CSS.escape(p)}"]`);
  const last = /^(.*\.)?([^.[\]]+)$/.exec(path);
  const alias = last && ALIASES[last[2]!] ? `${last[1] ?? ''}${ALIASES[last[2]!]}` : undefined;
  for (let p = path; ; p = parentPath(p)) {
    const found = find(p) ?? (p === path && alias ? find(alias) : null);
    if (found) return found;
    if (!p) return root;
  }
}

/** `changes[2].name.en` → `changes[2].name` → `changes[2]` → `changes` → ``. */
function parentPath(path: string): string {
  return /^(.*)(\.[^.[\]]+|\[\d+\])$/.exec(path)?.[1] ?? '';
}

/** A box that says what the server refused, with its codes (role=alert: read out at once). */
export function errorBox(error: unknown): HTMLElement {
  const errors = error instanceof ApiError ? error.errors : [{ code: 'ERROR', message: String(error), problems: [] }];
  const network = errors.every((e) => e.code === 'NETWORK');
  return h(
    'div',
    { class: 'error', role: 'alert', tabindex: -1 },
    h('h2', {}, network ? t('error.network') : t('error.title')),
    h(
      'ul',
      {},
      errors.map((e) =>
        h(
          'li',
          { 'data-code': e.code },
          h('code', {}, e.code),
          ' ',
          e.message,
          e.problems.length ? h('ul', {}, e.problems.map((p) => h('li', {}, h('code', {}, p.field), ' ', p.message))) : null,
        ),
      ),
    ),
  );
}

/** The problems of a draft, listed together above the form (each is also shown at its field). */
export function problemSummary(problems: readonly Problem[]): HTMLElement | null {
  if (!problems.length) return null;
  return h(
    'div',
    { class: 'problems', role: 'status' },
    h('h3', {}, t('error.problems')),
    h('ul', {}, problems.map((p) => h('li', {}, h('code', {}, p.field), ' ', p.message))),
  );
}

/** A table: `headers` already in the page's language (t(…) or a page's own messages). */
export function table(headers: readonly string[], rows: readonly (readonly Child[])[], caption?: string): HTMLTableElement {
  return h(
    'table',
    {},
    caption ? h('caption', {}, caption) : null,
    h('thead', {}, h('tr', {}, headers.map((text) => h('th', { scope: 'col' }, text)))),
    h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((cell) => h('td', {}, cell))))),
  );
}

export function input(props: Record<string, string | number | boolean | undefined> = {}): HTMLInputElement {
  return h('input', { type: 'text', ...props });
}

export function select(options: ReadonlyArray<readonly [value: string, label: string]>, value: string): HTMLSelectElement {
  return h('select', {}, options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
}
