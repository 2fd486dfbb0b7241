// The console: sign-in, a header (who, language, sign-out, the pages the caller is offered) and
// the page the URL's hash names (#/<route>/<rest>), so the gateway serves one HTML file. Pages
// come from pages/*.page.ts (pages.ts): none is listed here.
import { h, show } from './dom.js';
import { language, setLanguage, t } from './i18n.js';
import { offeredPages, PAGES } from './pages.js';
import { currentSession, signIn, signOut } from './session.js';
import { errorBox, field } from './ui.js';
import { loadViewer, type Viewer } from './viewer.js';

const app = document.getElementById('app')!;
let rendering = 0;

async function render(): Promise<void> {
  const turn = ++rendering;
  document.documentElement.lang = language();
  document.title = t('app.title');
  let viewer: Viewer;
  try {
    viewer = await loadViewer();
  } catch (error) {
    if (turn === rendering) show(app, h('main', { id: 'main', tabindex: -1 }, errorBox(error)));
    return;
  }
  if (turn !== rendering) return;
  // A credential the server refuses (expired, revoked) is dropped: the sign-in page says why.
  if (viewer.rejected) signOut();
  const session = currentSession();
  const offered = offeredPages(viewer);
  const [first = '', ...rest] = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const page = PAGES.find((p) => p.route === first) ?? offered.find((p) => p.nav) ?? PAGES.find((p) => p.nav);
  const main = h('main', { id: 'main', tabindex: -1 });
  show(
    app,
    h(
      'header',
      {},
      h('span', { class: 'brand' }, t('app.title')),
      session
        ? h(
            'nav',
            { 'aria-label': t('nav.label') },
            offered.filter((p) => p.nav).map((p) => h('a', { href: `#/${p.route}`, 'aria-current': p === page ? 'page' : null }, p.nav!.label())),
          )
        : null,
      h(
        'div',
        { class: 'session' },
        session ? h('span', { class: 'who' }, t('session.as', { who: session.kind === 'jwt' ? session.who : viewer.partner ? `${viewer.partner.name} (${session.who}…)` : t('session.partnerKey', { prefix: session.who }) })) : null,
        h('button', { type: 'button', class: 'secondary', 'aria-label': t('lang.toggleLabel'), lang: language() === 'en' ? 'zh-CN' : 'en', onclick: toggleLanguage }, t('lang.toggle')),
        session ? h('button', { type: 'button', class: 'secondary', onclick: () => (signOut(), void render()) }, t('session.signOut')) : null,
      ),
    ),
    main,
  );
  if (!session) return signInPage(main, viewer.rejected);
  if (page) await page.render(main, page.route === first ? rest : []);
}

function signInPage(main: HTMLElement, rejected?: string): void {
  const credential = h('textarea', { name: 'credential', rows: 4, required: true, autocomplete: 'off', spellcheck: 'false' });
  const problem = () => credential.closest('.field')!.querySelector<HTMLElement>('.problem')!;
  show(
    main,
    h('h1', {}, t('signIn.title')),
    h('p', {}, t('signIn.help')),
    h(
      'form',
      {
        class: 'sign-in',
        onsubmit: (event: Event) => {
          event.preventDefault();
          if (!credential.value.trim()) {
            problem().hidden = false;
            problem().textContent = t('signIn.empty');
            credential.focus();
            return;
          }
          signIn(credential.value);
          void render();
        },
      },
      field('credential', t('signIn.credential'), credential),
      h('button', { type: 'submit' }, t('signIn.submit')),
    ),
  );
  if (rejected) {
    problem().hidden = false;
    problem().textContent = t('signIn.rejected', { reason: rejected });
    credential.setAttribute('aria-invalid', 'true');
  }
  credential.focus();
}

function toggleLanguage(): void {
  setLanguage(language() === 'en' ? 'zh-CN' : 'en');
  void render();
}

window.addEventListener('hashchange', () => {
  void render().then(() => document.getElementById('main')?.focus());
});
void render();
