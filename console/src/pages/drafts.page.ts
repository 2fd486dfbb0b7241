// Catalog drafts: the list, and one draft's editor with its problems, diff, preview,
// publication and cancellation.
import type { Page } from '../pages.js';
import { can, loadViewer, type Viewer } from '../viewer.js';
import { ApiError, request } from '../api.js';
import { changeFields, changeLegend, CHANGE_KINDS, fromStored, kindLabel, newChange, toInput, type ChangeForm, type ChangeKind, type LiveProgram } from './changes.js';
import { h, show, type Child } from '../dom.js';
import {
  ConsoleCancelCatalogPublicationDocument,
  ConsoleCatalogDraftDocument,
  ConsoleCatalogDraftsDocument,
  ConsoleCatalogPreviewDocument,
  ConsoleCreateCatalogDraftDocument,
  ConsoleLoyaltyProgramDocument,
  ConsolePublishCatalogDraftDocument,
  ConsoleUpdateCatalogDraftDocument,
  type ConsoleBundleLineFragment,
  type ConsoleDraftFragment,
  type MemberMigration,
} from '@coalition-gateway/client';
import { formatDate, messages, t } from '../i18n.js';
import { errorBox, field, input, placeProblems, problemSummary, select, table } from '../ui.js';

async function draftsPage(main: HTMLElement): Promise<void> {
  show(main, h('h1', {}, t('drafts.title')), h('p', {}, t('common.loading')));
  try {
    const { catalogDrafts } = await request(ConsoleCatalogDraftsDocument, {});
    show(
      main,
      h('h1', {}, t('drafts.title')),
      h('p', {}, h('a', { href: '#/drafts/new', class: 'button' }, t('drafts.new'))),
      catalogDrafts.length
        ? table(
            (['drafts.col.title', 'drafts.col.status', 'drafts.col.effective', 'drafts.col.by', 'drafts.col.problems'] as const).map((key) => t(key)),
            catalogDrafts.map((d) => [h('a', { href: `#/drafts/${encodeURIComponent(d.id)}` }, d.title), statusBadge(d.status), formatDate(d.effectiveAt), d.createdBy, String(d.problems.length)]),
          )
        : h('p', {}, t('drafts.empty')),
    );
  } catch (error) {
    show(main, h('h1', {}, t('drafts.title')), errorBox(error));
  }
}

// Words this page gained with the loyalty program's changes and the audit trail.
const m = messages({
  en: {
    programDiff: 'Loyalty program',
    auditLink: 'Audit trail of this draft',
    publishNotOffered: 'Publishing needs a product manager or an admin.',
    bundlesCreated: 'New bundles: {codes}',
    planCreated: 'New plan {code}',
  },
  'zh-CN': {
    programDiff: '会员积分计划',
    auditLink: '此草稿的审计记录',
    publishNotOffered: '发布需要产品经理或管理员。',
    bundlesCreated: '新礼包：{codes}',
    planCreated: '新方案 {code}',
  },
});

/** The editor's form: the draft's title and its changes as typed. */
interface DraftForm {
  title: string;
  changes: ChangeForm[];
}

/**
 * The form of a saved draft, rebuilt from the changes the server stored (`changes { json }`), so a
 * draft made anywhere (another tab, the API) can be edited; null when it holds a kind of change
 * this console does not edit, which then stays read-only rather than be lost on saving.
 */
function formOf(draft: ConsoleDraftFragment): DraftForm | null {
  const changes = draft.changes.map((c) => fromStored(c.json));
  return changes.every((c) => c !== null) ? { title: draft.title, changes: changes as ChangeForm[] } : null;
}

async function draftPage(main: HTMLElement, id: string | null): Promise<void> {
  let draft: ConsoleDraftFragment | null = null;
  const viewer = await loadViewer();
  if (id) {
    show(main, h('p', {}, t('common.loading')));
    try {
      draft = (await request(ConsoleCatalogDraftDocument, { draftId: id })).catalogDraft;
    } catch (error) {
      show(main, backLink(), errorBox(error));
      main.querySelector<HTMLElement>('[role=alert]')?.focus();
      return;
    }
  }
  const form: DraftForm | null = !can(viewer, 'CONFIGURE') ? null : draft ? formOf(draft) : { title: '', changes: [] };
  // What the loyalty program's changes start from; without it they start empty, as before.
  const live = form
    ? await request(ConsoleLoyaltyProgramDocument, {})
        .then((r) => ({ ...r.loyaltyProgram, segmentConfigJson: r.segmentDefinitions?.configJson ?? null }))
        .catch(() => null)
    : null;
  new DraftEditor(main, viewer, draft, form, live).render();
}

class DraftEditor {
  private message: Child = null;
  private error: unknown = null;

  constructor(
    private readonly main: HTMLElement,
    private readonly viewer: Viewer,
    private draft: ConsoleDraftFragment | null,
    /** Null: shown as saved (the caller may not edit drafts, or it holds a change this console does not edit). */
    private readonly form: DraftForm | null,
    /** The loyalty program in force, which its changes start from; null when it could not be read. */
    private readonly live: LiveProgram | null = null,
  ) {}

  render(): void {
    const draft = this.draft;
    const editable = this.form !== null && (!draft || draft.status === 'DRAFT');
    show(
      this.main,
      backLink(),
      h('h1', {}, draft ? draft.title : t('draft.newTitle')),
      draft ? h('p', {}, t('draft.status', { status: draft.status }), ' ', statusBadge(draft.status)) : null,
      draft && can(this.viewer, 'AUDIT') ? h('p', {}, h('a', { href: auditHref(draft.id) }, m('auditLink'))) : null,
      this.error ? errorBox(this.error) : null,
      this.message ? h('p', { class: 'notice', role: 'status', tabindex: -1 }, this.message) : null,
      draft ? problemSummary(draft.problems) : null,
      editable ? this.editorForm() : this.savedChanges(),
      draft ? diffSection(draft) : null,
      draft && draft.status === 'DRAFT' && can(this.viewer, 'CONFIGURE') ? this.previewForm() : null,
      // Offered only to who may publish (the server refuses anyone else with FORBIDDEN anyway).
      draft && draft.status === 'DRAFT' ? (can(this.viewer, 'PUBLISH') ? this.publishForm() : h('p', { class: 'hint' }, m('publishNotOffered'))) : null,
      draft && draft.status === 'SCHEDULED' && can(this.viewer, 'PUBLISH') ? this.cancelForm() : null,
    );
    // The saved draft's problems at the editor's fields (a refused publication's go to every form: run()).
    const editor = this.main.querySelector<HTMLElement>('form.editor');
    if (draft && editor) placeProblems(editor, draft.problems);
  }

  private editorForm(): HTMLElement {
    const form = this.form!;
    const title = input({ value: form.title, name: 'title', required: true });
    title.addEventListener('input', () => (form.title = title.value));
    const kind = select(CHANGE_KINDS.map((k) => [k, kindLabel(k)] as const), 'createBenefit');
    kind.id = 'add-kind';
    return h(
      'form',
      { class: 'editor', 'data-problems': true, onsubmit: (event: Event) => (event.preventDefault(), void this.save()) },
      h('p', { class: 'problem', hidden: true }),
      field('title', t('draft.title'), title),
      h(
        'section',
        { 'data-field': 'changes', 'aria-labelledby': 'changes-heading' },
        h('h2', { id: 'changes-heading' }, t('draft.changes')),
        h('p', { class: 'problem', hidden: true }),
        form.changes.length ? null : h('p', {}, t('draft.noChanges')),
        form.changes.map((change, i) =>
          h(
            'fieldset',
            { class: 'change', 'data-field': `changes[${i}]` },
            changeLegend(change, i),
            h('p', { class: 'problem', hidden: true }),
            h('div', { class: 'grid' }, changeFields(change, i, this.live)),
            h('button', { type: 'button', class: 'secondary', onclick: () => (form.changes.splice(i, 1), this.render()) }, t('draft.removeChange', { n: i + 1 })),
          ),
        ),
      ),
      h(
        'div',
        { class: 'add-change' },
        h('label', { for: 'add-kind' }, t('draft.addKind')),
        kind,
        h('button', { type: 'button', class: 'secondary', onclick: () => this.addChange(kind.value as ChangeKind) }, t('draft.add')),
      ),
      h('p', {}, h('button', { type: 'submit' }, t('draft.save'))),
    );
  }

  private addChange(kind: ChangeKind): void {
    this.form!.changes.push(newChange(kind, this.live));
    this.render();
    // The new change's first field, so a keyboard user carries on typing.
    this.main.querySelector<HTMLElement>(`[data-field="changes[${this.form!.changes.length - 1}]"] input, [data-field="changes[${this.form!.changes.length - 1}]"] select`)?.focus();
  }

  private savedChanges(): HTMLElement | null {
    if (!this.draft) return null;
    return h(
      'section',
      { 'aria-labelledby': 'saved-heading' },
      h('h2', { id: 'saved-heading' }, t('draft.serverChanges')),
      this.draft.status === 'DRAFT' ? h('p', { class: 'hint' }, t('draft.readOnly')) : null,
      h('ol', {}, this.draft.changes.map((c) => h('li', {}, h('code', {}, c.kind), ' ', c.summary))),
    );
  }

  private async save(): Promise<void> {
    const form = this.form!;
    const input = { title: form.title, changes: form.changes.map(toInput) };
    await this.run(async () => {
      const draft = this.draft
        ? (await request(ConsoleUpdateCatalogDraftDocument, { draftId: this.draft.id, input })).updateCatalogDraft
        : (await request(ConsoleCreateCatalogDraftDocument, { input })).createCatalogDraft;
      if (!this.draft) history.replaceState(null, '', `#/drafts/${encodeURIComponent(draft.id)}`);
      this.draft = draft;
      return draft.problems.length ? t('draft.saved', { count: draft.problems.length }) : t('draft.publishable');
    });
  }

  /** Runs an action, then shows its message or the server's error (BAD_USER_INPUT's problems at their fields). */
  private async run(action: () => Promise<Child>): Promise<void> {
    this.message = null;
    this.error = null;
    try {
      this.message = await action();
      this.render();
    } catch (error) {
      this.error = error;
      this.render();
      const problems = error instanceof ApiError ? error.errors.flatMap((e) => e.problems) : [];
      for (const form of this.main.querySelectorAll<HTMLElement>('form[data-problems]')) placeProblems(form, problems);
    }
    this.main.querySelector<HTMLElement>('[role=alert], [role=status]')?.focus();
  }

  private previewForm(): HTMLElement {
    const memberId = input({ name: 'memberId', required: true });
    const result = h('div', { 'aria-live': 'polite' });
    const preview = async () => {
      show(result, h('p', {}, t('common.loading')));
      try {
        const { catalogPreview: p } = await request(ConsoleCatalogPreviewDocument, { draftId: this.draft!.id, memberId: memberId.value.trim() });
        show(
          result,
          h('p', {}, t('preview.summary', { plan: p.planCode, bundle: p.bundleCode, tier: p.tier, segments: p.segments.join(', ') || t('common.none') })),
          h(
            'div',
            { class: 'columns' },
            h('section', { class: 'preview-today' }, h('h3', {}, t('preview.today')), lines(p.today)),
            h('section', { class: 'preview-draft' }, h('h3', {}, t('preview.underDraft')), lines(p.underDraft)),
          ),
        );
      } catch (error) {
        show(result, errorBox(error));
      }
    };
    return h(
      'section',
      { 'aria-labelledby': 'preview-heading' },
      h('h2', { id: 'preview-heading' }, t('preview.title')),
      h('form', { class: 'inline', onsubmit: (event: Event) => (event.preventDefault(), void preview()) }, field('memberId', t('preview.memberId'), memberId), h('button', { type: 'submit' }, t('preview.submit'))),
      result,
    );
  }

  private publishForm(): HTMLElement {
    const draft = this.draft!;
    const at = input({ type: 'datetime-local', name: 'effectiveAt' });
    // A new bundle has no members yet: nothing to grandfather or migrate.
    const bundles = draft.diff.bundles.map((b) => b.bundleCode).filter((code) => !draft.diff.bundlesCreated.includes(code));
    const choices = new Map<string, MemberMigration>(bundles.map((b) => [b, 'GRANDFATHER']));
    const publish = () =>
      this.run(async () => {
        const effectiveAt = at.value ? new Date(at.value).toISOString() : null;
        const migrations = [...choices].map(([bundleCode, members]) => ({ bundleCode, members }));
        const published = (await request(ConsolePublishCatalogDraftDocument, { draftId: draft.id, effectiveAt, migrations })).publishCatalogDraft;
        this.draft = published;
        return t('publish.done', { status: published.status, at: formatDate(published.effectiveAt) });
      });
    return h(
      'section',
      { 'aria-labelledby': 'publish-heading' },
      h('h2', { id: 'publish-heading' }, t('publish.title')),
      h(
        'form',
        { 'data-problems': true, onsubmit: (event: Event) => (event.preventDefault(), void publish()) },
        h('p', { class: 'problem', hidden: true }),
        field('effectiveAt', t('publish.effectiveAt'), at),
        bundles.map((bundle) =>
          h(
            'fieldset',
            { 'data-field': `migrations.${bundle}` },
            h('legend', {}, t('publish.members', { bundle })),
            h('p', { class: 'problem', hidden: true }),
            (['GRANDFATHER', 'MIGRATE'] as const).map((choice) =>
              h(
                'label',
                { class: 'radio' },
                h('input', { type: 'radio', name: `migration-${bundle}`, value: choice, checked: choice === 'GRANDFATHER', onchange: () => choices.set(bundle, choice) }),
                ' ',
                t(`publish.${choice}`),
              ),
            ),
          ),
        ),
        h('p', {}, h('button', { type: 'submit' }, t('publish.submit'))),
      ),
    );
  }

  private cancelForm(): HTMLElement {
    const draft = this.draft!;
    const cancel = () =>
      this.run(async () => {
        this.draft = (await request(ConsoleCancelCatalogPublicationDocument, { draftId: draft.id })).cancelCatalogPublication;
        return t('cancel.done');
      });
    return h(
      'section',
      { 'aria-labelledby': 'cancel-heading' },
      h('h2', { id: 'cancel-heading' }, t('cancel.title')),
      h('p', {}, t('publish.done', { status: draft.status, at: formatDate(draft.effectiveAt) })),
      h('button', { type: 'button', class: 'danger', onclick: () => void cancel() }, t('cancel.submit')),
    );
  }
}

function diffSection(draft: ConsoleDraftFragment): HTMLElement {
  const { diff } = draft;
  const empty = !diff.benefitsCreated.length && !diff.bundlesCreated.length && !diff.plansCreated.length && !diff.bundles.length && !diff.plans.length && !diff.program.length;
  return h(
    'section',
    { class: 'diff', 'aria-labelledby': 'diff-heading' },
    h('h2', { id: 'diff-heading' }, t('diff.title')),
    empty ? h('p', {}, t('diff.empty')) : null,
    diff.benefitsCreated.length ? h('p', {}, t('diff.benefitsCreated', { codes: diff.benefitsCreated.join(', ') })) : null,
    diff.bundlesCreated.length ? h('p', { class: 'diff-bundles-created' }, m('bundlesCreated', { codes: diff.bundlesCreated.join(', ') })) : null,
    diff.bundles.map((b) =>
      h(
        'div',
        { class: 'diff-bundle' },
        h('h3', {}, t('diff.bundle', { code: b.bundleCode })),
        h(
          'ul',
          {},
          b.added.map((l) => h('li', { class: 'added' }, h('span', { class: 'tag' }, '+ ', t('diff.added')), ' ', line(l))),
          b.removed.map((l) => h('li', { class: 'removed' }, h('span', { class: 'tag' }, '− ', t('diff.removed')), ' ', line(l))),
          b.changed.map((c) => h('li', { class: 'changed' }, h('span', { class: 'tag' }, '~ ', t('diff.changed')), ' ', line(c.before), ' → ', line(c.after))),
        ),
      ),
    ),
    diff.plans.map((p) =>
      h(
        'div',
        { class: 'diff-plan' },
        h('h3', {}, t('diff.plan', { code: p.planCode })),
        h('ul', {}, p.changes.map((c) => h('li', { class: 'changed' }, h('code', {}, c.field), `: ${c.before} → ${c.after}`))),
      ),
    ),
    // A new plan: each term from nothing to its value.
    diff.plansCreated.map((p) =>
      h(
        'div',
        { class: 'diff-plan diff-plan-created', 'data-plan': p.planCode },
        h('h3', {}, m('planCreated', { code: p.planCode })),
        h('ul', {}, p.changes.map((c) => h('li', { class: 'added' }, h('span', { class: 'tag' }, '+ ', t('diff.added')), ' ', h('code', {}, c.field), `: ${c.after}`))),
      ),
    ),
    diff.program.length
      ? h(
          'div',
          { class: 'diff-program' },
          h('h3', {}, m('programDiff')),
          h('ul', {}, diff.program.map((l) => h('li', { class: 'changed', 'data-subject': l.subject }, h('span', { class: 'tag' }, '~ ', t('diff.changed')), ' ', l.subject, ' ', h('code', {}, l.field), `: ${l.before} → ${l.after}`))),
        )
      : null,
  );
}

/** The audit trail page (audit.page.ts) filtered to one subject. */
const auditHref = (subject: string) => `#/audit/${encodeURIComponent(new URLSearchParams({ subject }).toString())}`;

function line(l: ConsoleBundleLineFragment): string {
  const parts = [l.benefitCode, l.quota === null ? t('line.unlimited') : `×${l.quota}`, l.period];
  if (l.minTier) parts.push(t('line.minTier', { tier: l.minTier }));
  if (l.segments?.length) parts.push(t('line.segments', { segments: l.segments.join(', ') }));
  return parts.join(' · ');
}

function lines(items: readonly ConsoleBundleLineFragment[]): HTMLElement {
  return items.length ? h('ul', {}, items.map((l) => h('li', { 'data-benefit': l.benefitCode }, line(l)))) : h('p', {}, t('common.none'));
}

function statusBadge(status: string): HTMLElement {
  return h('span', { class: `badge status-${status.toLowerCase()}` }, status);
}

const backLink = () => h('p', {}, h('a', { href: '#/drafts' }, '← ', t('draft.back')));

export const pages: Page[] = [
  {
    route: 'drafts',
    nav: { order: 10, label: () => t('nav.drafts') },
    offered: (viewer) => can(viewer, 'CONFIGURE'),
    render: (main, rest) => (rest[0] === 'new' ? draftPage(main, null) : rest[0] ? draftPage(main, rest[0]) : draftsPage(main)),
  },
];
