export { SavingsService } from './savings.service.js';
export type { SavingsView } from './savings.service.js';
