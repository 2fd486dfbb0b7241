export { ERASED_ISSUER, Member } from './member.entity.js';
export { MemberDirectory } from './member.service.js';
export type { MemberDirectoryOptions } from './member.service.js';
export { MemberType } from './member.types.js';
export type { MemberView } from './member.types.js';
