export {
  encodeStatusList,
  STATUS_LIST_MEDIA_TYPE,
  STATUS_LIST_TOKEN_TYPE,
  StatusListTokenSigner,
  TokenStatus,
  type StatusClaim,
  type StatusListClaim,
  type StatusListTokenInput,
} from './status-list.js';
export { StatusList, type StatusListState } from './status-list.entity.js';
export { StatusLists, type PublishedStatusList, type StatusEntry, type StatusListsOptions } from './status-list.service.js';
