export { TestClock, TestClockMember } from './test-clock.entity.js';
export { MAX_ADVANCE_YEARS, TestClockService, testClocks } from './test-clock.service.js';
