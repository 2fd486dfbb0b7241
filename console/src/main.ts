// The console: sign-in, a header (who, language, sign-out) and the pages, routed by the URL's hash
// (#/drafts, #/drafts/new, #/drafts/<id>, #/plans), so the gateway serves one HTML file.
import { h, show } from './dom.js';
import { draftPage, draftsPage } from './drafts.js';
import { language, setLanguage, t } from './i18n.js';
import { plansPage } from './plans.js';
import { currentSession, signIn, signOut } from './session.js';
import { field } from './ui.js';

const app = document.getElementById('app')!;

function render(): void {
  document.documentElement.lang = language();
  document.title = t('app.title');
  const session = currentSession();
  const main = h('main', { id: 'main', tabindex: -1 });
  const route = location.hash.replace(/^#\/?/, '') || 'drafts';
  const section = route.split('/')[0];
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
            h('a', { href: '#/drafts', 'aria-current': section === 'drafts' ? 'page' : null }, t('nav.drafts')),
            h('a', { href: '#/plans', 'aria-current': section === 'plans' ? 'page' : null }, t('nav.plans')),
          )
        : null,
      h(
        'div',
        { class: 'session' },
        session ? h('span', { class: 'who' }, t('session.as', { who: session.kind === 'jwt' ? session.who : t('session.partnerKey', { prefix: session.who }) })) : null,
        h('button', { type: 'button', class: 'secondary', 'aria-label': t('lang.toggleLabel'), lang: language() === 'en' ? 'zh-CN' : 'en', onclick: toggleLanguage }, t('lang.toggle')),
        session ? h('button', { type: 'button', class: 'secondary', onclick: () => (signOut(), render()) }, t('session.signOut')) : null,
      ),
    ),
    main,
  );
  if (!session) return signInPage(main);
  if (route === 'plans') void plansPage(main);
  else if (route === 'drafts/new') void draftPage(main, null);
  else if (route.startsWith('drafts/')) void draftPage(main, decodeURIComponent(route.slice('drafts/'.length)));
  else void draftsPage(main);
}

function signInPage(main: HTMLElement): void {
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
          render();
        },
      },
      field('credential', t('signIn.credential'), credential),
      h('button', { type: 'submit' }, t('signIn.submit')),
    ),
  );
  credential.focus();
}

function toggleLanguage(): void {
  setLanguage(language() === 'en' ? 'zh-CN' : 'en');
  render();
}

window.addEventListener('hashchange', () => {
  render();
  document.getElementById('main')?.focus();
});
render();
