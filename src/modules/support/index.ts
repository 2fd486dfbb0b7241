export { auditedQuery, MAX_LOOKUP_RESULTS, MEMBER_LOOKUP_KEYS, MemberLookupKey, memberLookupStatement } from './member-lookup.js';
export { SupportService } from './support.service.js';
export type { EntitlementCounts, SupportMemberView, SupportServiceOptions } from './support.service.js';
export { SupportMemberType } from './support.types.js';
