export { Member } from './member.entity.js';
export { MemberDirectory } from './member.service.js';
