// The audit trail: every audited change, newest first, filtered by subject, action (or a prefix
// ending in `.`) and actor; each entry says who, when, what, on what, and what changed between the
// state before and after, as a diff of the two JSON documents. Filters live in the URL
// (`#/audit/subject=…&action=…`), so a draft links to its own entries; "Show more" reads the next
// page after the last entry shown (auditTrailPage's cursor), however far back the trail goes.
import type { Page } from '../pages.js';
import { can } from '../viewer.js';
import { request } from '../api.js';
import { h, show } from '../dom.js';
import { ConsoleAuditTrailPageDocument, type ConsoleAuditTrailPageQuery } from '@coalition-gateway/client';
import { formatDate, messages, t } from '../i18n.js';
import { errorBox, field, input } from '../ui.js';

const m = messages({
  en: {
    nav: 'Audit trail',
    title: 'Audit trail',
    filters: 'Filter',
    subject: 'Subject (a draft, partner, key… id)',
    action: 'Action, or a prefix ending in "." (catalog., partner.)',
    actor: 'Actor (admin:<id>, pm:<id>, system, …)',
    apply: 'Show',
    clear: 'Clear filters',
    empty: 'No audited change matches.',
    count: '{count} change(s) shown, newest first.',
    more: 'Show more',
    by: 'by {actor}',
    on: 'on {subject}',
    added: 'Added',
    removed: 'Removed',
    changed: 'Changed',
    same: 'Before and after are the same.',
    raw: 'Before and after as JSON',
    before: 'Before',
    after: 'After',
    nothing: '(none)',
  },
  'zh-CN': {
    nav: '审计记录',
    title: '审计记录',
    filters: '筛选',
    subject: '对象（草稿、合作方、密钥等的 ID）',
    action: '操作，或以 "." 结尾的前缀（catalog.、partner.）',
    actor: '操作人（admin:<id>、pm:<id>、system 等）',
    apply: '显示',
    clear: '清除筛选',
    empty: '没有符合条件的审计记录。',
    count: '已显示 {count} 条，最新的在前。',
    more: '显示更多',
    by: '操作人 {actor}',
    on: '对象 {subject}',
    added: '新增',
    removed: '移除',
    changed: '变更',
    same: '前后相同。',
    raw: '前后状态（JSON）',
    before: '之前',
    after: '之后',
    nothing: '（无）',
  },
});

/** Entries a page reads. */
const PAGE = 50;

type Entry = ConsoleAuditTrailPageQuery['auditTrailPage']['edges'][number]['node'];
type Filters = { subject: string; action: string; actor: string };

function filtersOf(rest: readonly string[]): Filters {
  const params = new URLSearchParams(rest[0] ?? '');
  return { subject: params.get('subject') ?? '', action: params.get('action') ?? '', actor: params.get('actor') ?? '' };
}

function hrefOf(filters: Filters): string {
  const params = new URLSearchParams();
  for (const key of ['subject', 'action', 'actor'] as const) if (filters[key].trim()) params.set(key, filters[key].trim());
  const query = params.toString();
  return query ? `#/audit/${encodeURIComponent(query)}` : '#/audit';
}

async function auditPage(main: HTMLElement, rest: string[]): Promise<void> {
  const filters = filtersOf(rest);
  const subject = input({ name: 'subject', value: filters.subject, autocomplete: 'off', spellcheck: 'false' });
  const action = input({ name: 'action', value: filters.action, autocomplete: 'off', spellcheck: 'false' });
  const actor = input({ name: 'actor', value: filters.actor, autocomplete: 'off', spellcheck: 'false' });
  const results = h('div', { 'aria-live': 'polite' }, h('p', {}, t('common.loading')));
  show(
    main,
    h('h1', {}, m('title')),
    h(
      'form',
      {
        class: 'audit-filters',
        role: 'search',
        // The filters go into the URL; the hash change draws the page again (and can be shared).
        onsubmit: (event: Event) => {
          event.preventDefault();
          const href = hrefOf({ subject: subject.value, action: action.value, actor: actor.value });
          if (location.hash === href) void auditPage(main, rest);
          else location.hash = href;
        },
      },
      h(
        'fieldset',
        {},
        h('legend', {}, m('filters')),
        h('div', { class: 'grid' }, field('subject', m('subject'), subject), field('action', m('action'), action), field('actor', m('actor'), actor)),
        h('p', { class: 'buttons' }, h('button', { type: 'submit' }, m('apply')), ' ', h('a', { href: '#/audit' }, m('clear'))),
      ),
    ),
    results,
  );
  const entries: Entry[] = [];
  let endCursor: string | null = null;
  let hasNextPage = false;
  const list = h('ol', { class: 'audit-entries' });
  const count = h('p', {});
  const more = h('p', {}, h('button', { type: 'button', class: 'secondary', onclick: () => void next() }, m('more')));
  // Reads the page after the last entry shown, appends it, and moves the focus to its first entry.
  const next = async (): Promise<void> => {
    const first = entries.length;
    try {
      const { auditTrailPage: page }: ConsoleAuditTrailPageQuery = await request(ConsoleAuditTrailPageDocument, {
        subject: filters.subject || null,
        action: filters.action || null,
        actor: filters.actor || null,
        first: PAGE,
        after: endCursor,
      });
      entries.push(...page.edges.map((e) => e.node));
      ({ endCursor, hasNextPage } = page.pageInfo);
      list.append(...page.edges.map((e) => entryView(e.node)));
      count.textContent = entries.length ? m('count', { count: entries.length }) : m('empty');
      more.hidden = !hasNextPage;
      if (first === 0) show(results, count, list, more);
      else list.querySelector<HTMLElement>(`li.audit-entry:nth-child(${first + 1}) article`)?.focus();
    } catch (error) {
      // A later page that fails leaves the entries shown; its error goes above the button.
      if (first === 0) show(results, errorBox(error));
      else more.before(errorBox(error));
      results.querySelector<HTMLElement>('[role=alert]')?.focus();
    }
  };
  await next();
}

function entryView(entry: Entry): HTMLElement {
  const before = parse(entry.before);
  const after = parse(entry.after);
  const lines = diff(before, after);
  return h(
    'li',
    { class: 'audit-entry', 'data-action': entry.action, 'data-subject': entry.subject },
    h(
      'article',
      { 'aria-label': `${entry.action} ${entry.subject}`, tabindex: -1 },
      h('h2', {}, h('code', {}, entry.action), ' ', m('on', { subject: entry.subject })),
      h('p', { class: 'meta' }, h('time', { datetime: entry.at }, formatDate(entry.at)), ' · ', m('by', { actor: entry.actor })),
      lines.length
        ? h(
            'ul',
            { class: 'diff json-diff' },
            lines.map((l) =>
              h(
                'li',
                { class: l.kind, 'data-path': l.path },
                h('span', { class: 'tag' }, l.kind === 'added' ? '+ ' : l.kind === 'removed' ? '− ' : '~ ', m(l.kind)),
                ' ',
                h('code', {}, l.path || '·'),
                ': ',
                l.kind === 'changed' ? [h('del', {}, show1(l.before)), ' → ', h('ins', {}, show1(l.after))] : l.kind === 'added' ? h('ins', {}, show1(l.after)) : h('del', {}, show1(l.before)),
              ),
            ),
          )
        : h('p', { class: 'hint' }, m('same')),
      h(
        'details',
        {},
        h('summary', {}, m('raw')),
        h('div', { class: 'columns' }, h('section', {}, h('h3', {}, m('before')), h('pre', {}, pretty(before))), h('section', {}, h('h3', {}, m('after')), h('pre', {}, pretty(after)))),
      ),
    ),
  );
}

const parse = (json: string | null): unknown => (json === null ? undefined : JSON.parse(json));
const pretty = (value: unknown): string => (value === undefined ? m('nothing') : JSON.stringify(value, null, 2));
const show1 = (value: unknown): string => (value === undefined ? m('nothing') : JSON.stringify(value));

interface DiffLine {
  kind: 'added' | 'removed' | 'changed';
  path: string;
  before?: unknown;
  after?: unknown;
}

/**
 * What differs between two JSON documents, leaf by leaf (`name.en`, `changes[1].quota`): a
 * value only after is added, only before removed, in both but unequal changed.
 */
function diff(before: unknown, after: unknown, path = ''): DiffLine[] {
  const container = (v: unknown): v is Record<string, unknown> | unknown[] => typeof v === 'object' && v !== null;
  if (container(before) && container(after) && Array.isArray(before) === Array.isArray(after)) {
    const keys = Array.isArray(before) ? [...Array(Math.max(before.length, (after as unknown[]).length)).keys()].map(String) : [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((key) => {
      const next = Array.isArray(before) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
      return diff((before as Record<string, unknown>)[key], (after as Record<string, unknown>)[key], next);
    });
  }
  if (before === undefined && after === undefined) return [];
  if (before === undefined) return leaves(after, path).map(([p, v]) => ({ kind: 'added', path: p, after: v }));
  if (after === undefined) return leaves(before, path).map(([p, v]) => ({ kind: 'removed', path: p, before: v }));
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [{ kind: 'changed', path, before, after }];
}

/** A document's leaves with their paths (an empty object or array is a leaf of its own). */
function leaves(value: unknown, path: string): Array<[string, unknown]> {
  if (typeof value !== 'object' || value === null) return [[path, value]];
  const entries = Array.isArray(value) ? value.map((v, i) => [`${path}[${i}]`, v] as const) : Object.entries(value).map(([k, v]) => [path ? `${path}.${k}` : k, v] as const);
  return entries.length ? entries.flatMap(([p, v]) => leaves(v, p)) : [[path, value]];
}

export const pages: Page[] = [
  {
    route: 'audit',
    nav: { order: 90, label: () => m('nav') },
    offered: (viewer) => can(viewer, 'AUDIT'),
    render: auditPage,
  },
];
