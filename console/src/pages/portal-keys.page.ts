// The partner portal's API keys: the partner's keys (which one this session uses), a new key, a
// rotation with an overlap (the old key keeps working while tills move over) and a revocation
// after confirming. A new key's secret is shown once, here, with a copy button: the server keeps
// only its hash, and nothing of it survives a reload. Refusals (API_KEY_LIMIT_REACHED,
// LAST_ACTIVE_API_KEY, API_KEY_NOT_ROTATABLE) show next to the action. When the key this session
// uses is rotated or revoked, the partner is told, offered the successor, and signed out once the
// key stops working.
import type { Page } from '../pages.js';
import { ApiError, request } from '../api.js';
import { h, show, type Child } from '../dom.js';
import {
  ConsolePortalApiKeysDocument,
  ConsolePortalCreateApiKeyDocument,
  ConsolePortalRevokeApiKeyDocument,
  ConsolePortalRotateApiKeyDocument,
  type ConsolePortalApiKeyFragment,
  type ConsolePortalNewKeyFragment,
} from '@coalition-gateway/client';
import { formatDate, messages, t } from '../i18n.js';
import { currentSession, signIn } from '../session.js';
import { errorBox, field, input, select } from '../ui.js';
import { forPartners, redraw, showFailure, signedOutIfKeyStopped, signedOutNotice } from './portal.js';

const m = messages({
  en: {
    nav: 'API keys',
    title: 'API keys',
    intro: 'Your tills and this portal sign in with these keys. Rotate a key to replace it without downtime: the old one keeps working for the overlap you choose. At most 10 keys can be in service.',
    create: 'New key',
    label: 'Label (optional, e.g. "tills, Shanghai")',
    createSubmit: 'Create key',
    'col.key': 'Key',
    'col.label': 'Label',
    'col.status': 'Status',
    'col.created': 'Created',
    'col.ends': 'Ends',
    'col.actions': 'Actions',
    current: 'signed in with this key',
    replacedBy: 'replaced by {prefix}…',
    'status.ACTIVE': 'Active',
    'status.ROTATING': 'Rotating',
    'status.EXPIRED': 'Expired',
    'status.REVOKED': 'Revoked',
    endsAt: 'works until {at}',
    endedAt: 'ended {at}',
    revokedAt: 'revoked {at}',
    rotate: 'Rotate',
    rotateLabel: 'Rotate key {prefix}…',
    overlap: 'The old key keeps working',
    'overlap.0': 'No longer: it stops now',
    'overlap.3600': '1 more hour',
    'overlap.86400': '1 more day',
    'overlap.604800': '7 more days',
    successorLabel: 'New key’s label (empty: the same)',
    rotateSubmit: 'Rotate it',
    revoke: 'Revoke',
    revokeLabel: 'Revoke key {prefix}…',
    revokeQuestion: 'Revoke {prefix}…? Every till using it is refused at once; this cannot be undone.',
    revokeCurrent: 'You are signed in with this key: you will be signed out.',
    revokeSubmit: 'Revoke it',
    cancel: 'Keep it',
    secretTitle: 'Copy your new key now',
    secretWarning: 'This is the only time it is shown: the server keeps only its hash. Store it where your tills read their configuration before you leave or reload this page.',
    secretField: 'New API key {prefix}…',
    copy: 'Copy',
    copied: 'Copied to the clipboard.',
    copyByHand: 'The browser did not let the page copy it: it is selected, copy it with Ctrl+C (⌘C).',
    stored: 'I have stored it',
    created: 'Key {prefix}… created.',
    rotated: 'Key {old}… rotated: its successor is {prefix}…, the old key works until {at}.',
    rotatedCurrent: 'You are signed in with the key you rotated: it stops working {at}, and the console will sign you out then.',
    rotatedCurrentNow: 'You are signed in with the key you rotated, and it has stopped working.',
    useSuccessor: 'Sign in with the new key',
    revoked: 'Key {prefix}… revoked.',
    revokedCurrent: 'You revoked the key you were signed in with ({prefix}…), so you are signed out. Sign in with another key in service.',
    expiredCurrent: 'The key you were signed in with ({prefix}…) reached the end of its rotation overlap, so you are signed out. Sign in with its successor.',
    'code.API_KEY_LIMIT_REACHED': 'You have the most keys in service allowed: revoke one you no longer use, or rotate one instead.',
    'code.LAST_ACTIVE_API_KEY': 'This is your last key in service: revoking it would lock every till and this portal out. Create another key first, or rotate this one with "No longer: it stops now".',
    'code.API_KEY_NOT_ROTATABLE': 'This key cannot be rotated: it is revoked, expired or rotated already.',
  },
  'zh-CN': {
    nav: 'API 密钥',
    title: 'API 密钥',
    intro: '您的门店和本门户使用这些密钥登录。轮换密钥可在不停机的情况下替换它：旧密钥在您选择的过渡期内继续有效。同时使用中的密钥最多 10 个。',
    create: '新建密钥',
    label: '标签（可选，例如“上海门店”）',
    createSubmit: '创建密钥',
    'col.key': '密钥',
    'col.label': '标签',
    'col.status': '状态',
    'col.created': '创建时间',
    'col.ends': '结束',
    'col.actions': '操作',
    current: '当前登录所用密钥',
    replacedBy: '已由 {prefix}… 替换',
    'status.ACTIVE': '使用中',
    'status.ROTATING': '轮换中',
    'status.EXPIRED': '已过期',
    'status.REVOKED': '已吊销',
    endsAt: '有效至 {at}',
    endedAt: '已于 {at} 结束',
    revokedAt: '已于 {at} 吊销',
    rotate: '轮换',
    rotateLabel: '轮换密钥 {prefix}…',
    overlap: '旧密钥继续有效',
    'overlap.0': '不再有效：立即停止',
    'overlap.3600': '再有效 1 小时',
    'overlap.86400': '再有效 1 天',
    'overlap.604800': '再有效 7 天',
    successorLabel: '新密钥的标签（留空：相同）',
    rotateSubmit: '确认轮换',
    revoke: '吊销',
    revokeLabel: '吊销密钥 {prefix}…',
    revokeQuestion: '吊销 {prefix}…？使用它的门店会立即被拒绝；此操作无法撤回。',
    revokeCurrent: '您正使用此密钥登录：您将被退出登录。',
    revokeSubmit: '确认吊销',
    cancel: '保留',
    secretTitle: '请立即复制新密钥',
    secretWarning: '密钥只显示这一次：服务器只保存其哈希值。请在离开或刷新本页之前，把它保存到门店读取配置的地方。',
    secretField: '新 API 密钥 {prefix}…',
    copy: '复制',
    copied: '已复制到剪贴板。',
    copyByHand: '浏览器不允许本页复制：密钥已选中，请按 Ctrl+C（⌘C）复制。',
    stored: '我已保存',
    created: '已创建密钥 {prefix}…。',
    rotated: '已轮换密钥 {old}…：新密钥为 {prefix}…，旧密钥有效至 {at}。',
    rotatedCurrent: '您正使用刚轮换的密钥登录：它将于 {at} 停止工作，届时控制台会让您退出登录。',
    rotatedCurrentNow: '您正使用刚轮换的密钥登录，它已停止工作。',
    useSuccessor: '使用新密钥登录',
    revoked: '已吊销密钥 {prefix}…。',
    revokedCurrent: '您吊销了登录所用的密钥（{prefix}…），因此已退出登录。请使用其他仍在使用中的密钥登录。',
    expiredCurrent: '您登录所用的密钥（{prefix}…）的轮换过渡期已结束，因此已退出登录。请使用其新密钥登录。',
    'code.API_KEY_LIMIT_REACHED': '使用中的密钥已达上限：请吊销不再使用的密钥，或改为轮换。',
    'code.LAST_ACTIVE_API_KEY': '这是您最后一个使用中的密钥：吊销它会让所有门店和本门户无法登录。请先创建另一个密钥，或以“不再有效：立即停止”轮换它。',
    'code.API_KEY_NOT_ROTATABLE': '此密钥无法轮换：它已被吊销、已过期或已轮换。',
  },
});

type Key = ConsolePortalApiKeyFragment;
type NewKey = ConsolePortalNewKeyFragment;
const OVERLAPS = [0, 3600, 86400, 604800] as const;
const CODES = ['API_KEY_LIMIT_REACHED', 'LAST_ACTIVE_API_KEY', 'API_KEY_NOT_ROTATABLE'] as const;

/** Signs out when the rotated key this session uses reaches its end (one timer per tab). */
let expiryTimer: ReturnType<typeof setTimeout> | undefined;

class KeysPage {
  private keys: Key[] = [];
  /** The secret of a key just created or rotated in: in this object only, gone on reload. */
  private secret: NewKey | null = null;
  private message: Child = null;
  private createError: unknown = null;

  constructor(private readonly main: HTMLElement) {}

  async load(): Promise<boolean> {
    try {
      this.keys = (await request(ConsolePortalApiKeysDocument, {})).myPartnerApiKeys;
      return true;
    } catch (error) {
      const where = h('div');
      show(this.main, h('h1', {}, m('title')), where);
      showFailure(this.main, where, error);
      return false;
    }
  }

  render(): void {
    const label = input({ name: 'label', maxlength: 100, autocomplete: 'off' });
    show(
      this.main,
      h('h1', {}, m('title')),
      h('p', {}, m('intro')),
      this.secret ? this.secretRegion(this.secret) : null,
      this.message ? h('div', { class: 'notice portal-message', role: 'status', tabindex: -1 }, this.message) : null,
      h(
        'form',
        { class: 'inline portal-create', onsubmit: (event: Event) => (event.preventDefault(), void this.create(label.value)) },
        h('fieldset', {}, h('legend', {}, m('create')), h('div', { class: 'inline' }, field('label', m('label'), label), h('button', { type: 'submit' }, m('createSubmit')))),
      ),
      this.createError ? explained(this.createError) : null,
      h(
        'table',
        { class: 'portal-keys' },
        h('thead', {}, h('tr', {}, [m('col.key'), m('col.label'), m('col.status'), m('col.created'), m('col.ends'), m('col.actions')].map((text) => h('th', { scope: 'col' }, text)))),
        h('tbody', {}, this.keys.map((key) => this.row(key))),
      ),
    );
  }

  private row(key: Key): HTMLTableRowElement {
    const actions = h('td', { class: 'portal-actions' });
    const successor = key.replacedById ? this.keys.find((k) => k.id === key.replacedById) : undefined;
    const ends = key.revokedAt ? m('revokedAt', { at: formatDate(key.revokedAt) }) : key.expiresAt ? m(key.status === 'EXPIRED' ? 'endedAt' : 'endsAt', { at: formatDate(key.expiresAt) }) : '—';
    const idle = () =>
      show(
        actions,
        h(
          'span',
          { class: 'buttons' },
          key.status === 'ACTIVE' ? h('button', { type: 'button', class: 'secondary', 'aria-label': m('rotateLabel', { prefix: key.prefix }), onclick: rotate }, m('rotate')) : null,
          key.status === 'ACTIVE' || key.status === 'ROTATING' ? h('button', { type: 'button', class: 'secondary danger-text', 'aria-label': m('revokeLabel', { prefix: key.prefix }), onclick: revoke }, m('revoke')) : null,
        ),
      );
    const back = () => (idle(), actions.querySelector('button')?.focus());
    const rotate = () => {
      const overlap = select(OVERLAPS.map((s) => [String(s), m(`overlap.${s}`)] as const), '86400');
      const label = input({ name: 'successorLabel', maxlength: 100, autocomplete: 'off' });
      const outcome = h('div');
      show(
        actions,
        h(
          'form',
          { class: 'portal-rotate', onsubmit: (event: Event) => (event.preventDefault(), void this.rotate(key, Number(overlap.value), label.value, outcome)) },
          field('overlapSeconds', m('overlap'), overlap),
          field('label', m('successorLabel'), label),
          h('p', { class: 'buttons' }, h('button', { type: 'submit' }, m('rotateSubmit')), h('button', { type: 'button', class: 'secondary', onclick: back }, m('cancel'))),
          outcome,
        ),
      );
      overlap.focus();
    };
    const revoke = () => {
      const outcome = h('div');
      const submit = h('button', { type: 'submit', class: 'danger' }, m('revokeSubmit'));
      show(
        actions,
        h(
          'form',
          { class: 'portal-revoke', role: 'group', 'aria-label': m('revokeLabel', { prefix: key.prefix }), onsubmit: (event: Event) => (event.preventDefault(), void this.revoke(key, outcome)) },
          h('p', { class: 'portal-warning' }, m('revokeQuestion', { prefix: key.prefix }), key.current ? [' ', h('strong', {}, m('revokeCurrent'))] : null),
          h('p', { class: 'buttons' }, submit, h('button', { type: 'button', class: 'secondary', onclick: back }, m('cancel'))),
          outcome,
        ),
      );
      submit.focus();
    };
    idle();
    return h(
      'tr',
      { 'data-key': key.id, 'data-prefix': key.prefix, 'data-status': key.status, class: key.current ? 'current' : null },
      h('td', {}, h('code', {}, `${key.prefix}…`), key.current ? [h('br'), h('span', { class: 'badge status-scheduled' }, m('current'))] : null),
      h('td', {}, key.label ?? '—'),
      h('td', {}, h('span', { class: `badge key-${key.status.toLowerCase()}` }, m(`status.${key.status}`)), successor ? [h('br'), h('span', { class: 'hint' }, m('replacedBy', { prefix: successor.prefix }))] : null),
      h('td', {}, formatDate(key.createdAt)),
      h('td', {}, ends),
      actions,
    );
  }

  private secretRegion(secret: NewKey): HTMLElement {
    const value = input({ name: 'secret', value: secret.key, readonly: true, autocomplete: 'off', spellcheck: 'false', class: 'portal-secret-value' });
    const copied = h('p', { role: 'status' });
    const copy = async () => {
      try {
        await navigator.clipboard.writeText(secret.key);
        copied.textContent = m('copied');
      } catch {
        value.select();
        copied.textContent = document.execCommand('copy') ? m('copied') : m('copyByHand');
      }
    };
    return h(
      'section',
      { class: 'portal-secret', 'aria-labelledby': 'portal-secret-title' },
      h('h2', { id: 'portal-secret-title', tabindex: -1 }, m('secretTitle')),
      h('p', { class: 'portal-warning' }, '⚠ ', m('secretWarning')),
      field('secret', m('secretField', { prefix: secret.prefix }), value),
      h(
        'p',
        { class: 'buttons' },
        h('button', { type: 'button', onclick: () => void copy() }, m('copy')),
        h('button', { type: 'button', class: 'secondary', onclick: () => ((this.secret = null), this.render(), this.main.querySelector<HTMLElement>('form.portal-create input')?.focus()) }, m('stored')),
      ),
      copied,
    );
  }

  private async create(label: string): Promise<void> {
    this.createError = null;
    try {
      const { createMyPartnerApiKey: created } = await request(ConsolePortalCreateApiKeyDocument, { label: label.trim() || null });
      this.secret = created;
      this.message = m('created', { prefix: created.prefix });
      if (!(await this.load())) return;
      this.render();
      this.main.querySelector<HTMLElement>('#portal-secret-title')!.focus();
    } catch (error) {
      if (signedOutIfKeyStopped(this.main, error)) return;
      this.createError = error;
      this.render();
      this.main.querySelector<HTMLElement>('[role=alert]')?.focus();
    }
  }

  private async rotate(key: Key, overlapSeconds: number, label: string, outcome: HTMLElement): Promise<void> {
    let rotation;
    try {
      rotation = (await request(ConsolePortalRotateApiKeyDocument, { id: key.id, overlapSeconds, label: label.trim() || null })).rotateMyPartnerApiKey;
    } catch (error) {
      if (signedOutIfKeyStopped(this.main, error)) return;
      show(outcome, explained(error));
      outcome.querySelector<HTMLElement>('[role=alert]')?.focus();
      return;
    }
    const { previous, successor } = rotation;
    this.secret = successor;
    const useSuccessor = h('button', { type: 'button', class: 'portal-use-successor', onclick: () => (signIn(successor.key), (location.hash = '#/portal-keys'), redraw()) }, m('useSuccessor'));
    const stopped = previous.current && previous.expiresAt !== null && Date.parse(previous.expiresAt) <= Date.now();
    this.message = [
      h('p', {}, m('rotated', { old: previous.prefix, prefix: successor.prefix, at: formatDate(previous.expiresAt) })),
      previous.current ? h('p', {}, h('strong', {}, stopped ? m('rotatedCurrentNow') : m('rotatedCurrent', { at: formatDate(previous.expiresAt) })), ' ', useSuccessor) : null,
    ];
    if (previous.current && previous.expiresAt && !stopped) this.signOutAt(previous);
    // A stopped key cannot list the keys any more: show the rotation on the list already held.
    if (stopped) this.keys = [{ ...previous }, ...this.keys.filter((k) => k.id !== previous.id)];
    else if (!(await this.load())) return;
    this.render();
    this.main.querySelector<HTMLElement>('#portal-secret-title')!.focus();
  }

  private async revoke(key: Key, outcome: HTMLElement): Promise<void> {
    try {
      const { revokeMyPartnerApiKey: revoked } = await request(ConsolePortalRevokeApiKeyDocument, { id: key.id });
      if (key.current) return signedOutNotice(this.main, m('revokedCurrent', { prefix: revoked.prefix }));
      this.message = m('revoked', { prefix: revoked.prefix });
      if (!(await this.load())) return;
      this.render();
      this.main.querySelector<HTMLElement>('.portal-message')!.focus();
    } catch (error) {
      if (signedOutIfKeyStopped(this.main, error)) return;
      show(outcome, explained(error));
      outcome.querySelector<HTMLElement>('[role=alert]')?.focus();
    }
  }

  /** The session's key was rotated with an overlap: sign out when it ends, unless the partner moved to another key. */
  private signOutAt(previous: Key): void {
    clearTimeout(expiryTimer);
    const credentialNow = currentSession()?.credential;
    expiryTimer = setTimeout(
      () => {
        if (currentSession()?.credential !== credentialNow) return;
        const main = document.getElementById('main');
        if (main) signedOutNotice(main, m('expiredCurrent', { prefix: previous.prefix }));
      },
      Math.max(0, Date.parse(previous.expiresAt!) - Date.now()),
    );
  }
}

/** A refusal with its code, and for the key rules a sentence on what to do instead. */
function explained(error: unknown): HTMLElement {
  const box = errorBox(error);
  const code = error instanceof ApiError ? CODES.find((c) => error.errors.some((e) => e.code === c)) : undefined;
  if (code) box.append(h('p', { class: 'hint portal-advice' }, m(`code.${code}`)));
  return box;
}

async function keysPage(main: HTMLElement): Promise<void> {
  show(main, h('h1', {}, m('title')), h('p', {}, t('common.loading')));
  const page = new KeysPage(main);
  if (await page.load()) page.render();
}

export const pages: Page[] = [{ route: 'portal-keys', nav: { order: 15, label: () => m('nav') }, offered: forPartners, render: (main) => keysPage(main) }];
