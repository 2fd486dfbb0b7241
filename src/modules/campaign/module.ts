import { defineModule } from '../../platform/module.js';
import { Campaign, CampaignAnnouncement, CampaignBenefitGrant, CampaignGrant } from './campaign.entity.js';
import { CampaignResolver, MemberCampaignsResolver } from './campaign.resolver.js';
import { CampaignService } from './campaign.service.js';
import { memberDayDueWork } from './member-day-due-work.js';

declare module '../../platform/context.js' {
  interface Services {
    campaigns: CampaignService;
  }
}

/** Member-only campaigns and member days: windows, targets by tier and segment, points or extra rights, budgets and caps, every grant traceable; member days announced as moments. */
export const module = defineModule({
  name: 'campaign',
  entities: [Campaign, CampaignGrant, CampaignBenefitGrant, CampaignAnnouncement],
  resolvers: [CampaignResolver, MemberCampaignsResolver],
  services: { campaigns: ({ em, deps }) => new CampaignService(em, deps) },
  // An announcement row per campaign, clock and occurrence (unique): each member day announced, and each benefit campaign's rights granted, once, whichever worker gets there.
  dueWork: [memberDayDueWork],
});
