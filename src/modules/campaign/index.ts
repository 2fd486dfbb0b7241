export { CampaignBook, onCampaignDay } from './campaign-book.js';
export type { CampaignGrantView, CampaignPurchase } from './campaign-book.js';
export { Campaign, CampaignAnnouncement, CampaignBenefitGrant, CampaignGrant, CampaignKind } from './campaign.entity.js';
export { CampaignService } from './campaign.service.js';
export type { CampaignInput, CampaignView } from './campaign.service.js';
export { LocalizedTextInput } from './campaign.types.js';
