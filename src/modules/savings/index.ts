export { SavingsService } from './savings.service.js';
export type { SavingsView } from './savings.service.js';
export { ACCESS_VALUE_SECONDS, rightValuesSql } from './value-sql.js';
