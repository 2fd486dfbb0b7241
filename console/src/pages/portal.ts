// What the partner portal's pages (portal-*.page.ts) share: who is offered them, periods of whole
// days, the statement downloads (which need the key in a header, so no plain link can fetch them)
// and what happens when the key the partner is signed in with stops working.
import { ApiError, type ServerError } from '../api.js';
import { errorEntries, type GatewayErrorJson } from '@coalition-gateway/client';
import { h, saveFile, show } from '../dom.js';
import { language, messages } from '../i18n.js';
import { currentSession, signOut } from '../session.js';
import { errorBox } from '../ui.js';
import { can, type Viewer } from '../viewer.js';

export const m = messages({
  en: {
    signedOut: 'Your API key no longer works',
    signedOutBody: 'The server refused the key you were signed in with ({code}): it was revoked, or its rotation overlap ended. You are signed out; sign in with a key in service.',
    signInAgain: 'Sign in again',
    zone: 'Days run from midnight to midnight in your browser’s time zone ({zone}).',
    first: 'First day',
    last: 'Last day',
  },
  'zh-CN': {
    signedOut: '您的 API 密钥已失效',
    signedOutBody: '服务器拒绝了您登录所用的密钥（{code}）：它已被吊销，或轮换的过渡期已结束。您已退出登录，请使用仍在使用中的密钥登录。',
    signInAgain: '重新登录',
    zone: '每天按浏览器所在时区（{zone}）的零点划分。',
    first: '起始日',
    last: '结束日',
  },
});

/** The portal is for partners signed in with one of their API keys. */
export const forPartners = (viewer: Viewer): boolean => can(viewer, 'PARTNER_PORTAL');

/** Draws the console again (main.ts listens to hash changes), e.g. after signing in or out here. */
export function redraw(): void {
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

/**
 * Signs the partner out and says why when the server no longer takes its key (revoked, or a
 * rotation's overlap over): true when it did, so the caller draws nothing else.
 */
export function signedOutIfKeyStopped(main: HTMLElement, error: unknown): boolean {
  if (!(error instanceof ApiError) || error.code !== 'UNAUTHENTICATED' || currentSession()?.kind !== 'key') return false;
  signOut();
  signedOutNotice(main, m('signedOutBody', { code: error.code }));
  return true;
}

/** Signs out and says why on the page: the header's session goes, the reason stays on screen. */
export function signedOutNotice(main: HTMLElement, why: string): void {
  signOut();
  document.querySelector('header nav')?.remove();
  document.querySelector('header .who')?.remove();
  show(
    main,
    h(
      'div',
      { class: 'error portal-signed-out', role: 'alert', tabindex: -1 },
      h('h2', {}, m('signedOut')),
      h('p', {}, why),
      h('p', {}, h('button', { type: 'button', onclick: () => ((location.hash = '#/'), redraw()) }, m('signInAgain'))),
    ),
  );
  // After main.ts has drawn the page (it focuses <main> once a navigation's page is drawn).
  const alert = main.querySelector<HTMLElement>('[role=alert]')!;
  alert.focus();
  setTimeout(() => alert.isConnected && alert.focus());
}

/** Shows a refusal in `where` (focused, read out), or signs out when the key itself was refused. */
export function showFailure(main: HTMLElement, where: HTMLElement, error: unknown): void {
  if (signedOutIfKeyStopped(main, error)) return;
  show(where, errorBox(error));
  where.querySelector<HTMLElement>('[role=alert]')?.focus();
}

// Periods: `YYYY-MM-DD` days of the browser's calendar; bounds sent as instants with an offset.

const pad = (n: number) => String(n).padStart(2, '0');
export const dayOf = (date: Date): string => `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
const parseDay = (day: string): Date => {
  const [y, mo, d] = day.split('-').map(Number);
  return new Date(y!, mo! - 1, d!);
};

/** Midnight starting `day` in the browser's time zone, as an ISO instant. */
export const startOf = (day: string): string => parseDay(day).toISOString();
/** Midnight ending `day` (the next day's start): the excluded end of a period whose last day is `day`. */
export const endOf = (day: string): string => {
  const next = parseDay(day);
  next.setDate(next.getDate() + 1);
  return next.toISOString();
};

/** The last calendar month: its first and last day. */
export function lastMonth(today = new Date()): { first: string; last: string } {
  return { first: dayOf(new Date(today.getFullYear(), today.getMonth() - 1, 1)), last: dayOf(new Date(today.getFullYear(), today.getMonth(), 0)) };
}

export const timeZoneNote = (): HTMLElement => h('p', { class: 'hint' }, m('zone', { zone: Intl.DateTimeFormat().resolvedOptions().timeZone }));

/**
 * Fetches `GET /partner/settlement.<format>` with the session's key and saves it under the
 * server's file name (from Content-Disposition) through a Blob URL. A refusal (400 with its
 * problems, 401, 403) becomes an ApiError as the GraphQL client would raise it.
 */
export async function downloadStatement(format: 'csv' | 'pdf', from: string, to: string): Promise<string> {
  const query = new URLSearchParams({ from, to });
  let response: Response;
  try {
    response = await fetch(`/partner/settlement.${format}?${query}`, {
      headers: { authorization: `Bearer ${currentSession()?.credential ?? ''}`, 'accept-language': language() },
      cache: 'no-store',
    });
  } catch (error) {
    throw new ApiError([{ code: 'NETWORK', message: String(error), problems: [], extensions: {} }]);
  }
  if (!response.ok) throw new ApiError(await refusal(response));
  const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? `settlement.${format}`;
  saveFile(await response.blob(), name);
  return name;
}

async function refusal(response: Response): Promise<ServerError[]> {
  try {
    const body = (await response.json()) as { errors?: GatewayErrorJson[] };
    if (body.errors?.length) return errorEntries(body.errors);
  } catch {
    // Not the API's JSON: say what the HTTP status was.
  }
  return [{ code: `HTTP_${response.status}`, message: response.statusText, problems: [], extensions: {} }];
}
