// Plans on sale and what each one's bundle grants, with who it is reserved for.
import type { Page } from '../pages.js';
import { request } from '../api.js';
import { h, show } from '../dom.js';
import { ConsolePlansDocument } from '@coalition-gateway/client';
import { formatMoney, t } from '../i18n.js';
import { errorBox, table } from '../ui.js';

async function plansPage(main: HTMLElement): Promise<void> {
  show(main, h('h1', {}, t('plans.title')), h('p', {}, t('common.loading')));
  try {
    const { plans } = await request(ConsolePlansDocument, {});
    show(
      main,
      h('h1', {}, t('plans.title')),
      plans.map((plan) =>
        h(
          'section',
          { class: 'plan', 'data-plan': plan.code, 'aria-labelledby': `plan-${plan.code}` },
          h('h2', { id: `plan-${plan.code}` }, plan.name, ' ', h('code', {}, plan.code)),
          h('p', {}, t('plans.summary', { price: formatMoney(plan.price.amount, plan.price.currency), period: plan.billingPeriod, trial: plan.trialDays, grace: plan.graceDays })),
          table(
            (['plans.col.benefit', 'plans.col.partner', 'plans.col.kind', 'plans.col.quota', 'plans.col.period', 'plans.col.minTier', 'plans.col.segments'] as const).map((key) => t(key)),
            plan.benefits.map((b) => [
              h('span', {}, b.benefit.name, ' ', h('code', {}, b.benefit.code)),
              b.benefit.partner.id,
              b.benefit.kind,
              b.quota === null ? t('line.unlimited') : String(b.quota),
              b.period,
              b.minTier ?? t('plans.everyone'),
              b.segments?.join(', ') ?? t('plans.everyone'),
            ]),
          ),
        ),
      ),
    );
  } catch (error) {
    show(main, h('h1', {}, t('plans.title')), errorBox(error));
  }
}

export const pages: Page[] = [{ route: 'plans', nav: { order: 20, label: () => t('nav.plans') }, offered: (viewer) => viewer.kind === 'MEMBER' && viewer.staffRoles.length > 0, render: plansPage }];
