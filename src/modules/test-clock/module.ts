import { defineModule } from '../../platform/module.js';
import { TestClock, TestClockMember } from './test-clock.entity.js';
import { TestClockResolver } from './test-clock.resolver.js';
import { TestClockService } from './test-clock.service.js';

declare module '../../platform/context.js' {
  interface Services {
    testClocks: TestClockService;
  }
}

/** Test clocks (development and tests): frozen instants admins move forward, and the members living on them. */
export const module = defineModule({
  name: 'test-clock',
  entities: [TestClock, TestClockMember],
  resolvers: [TestClockResolver],
  services: { testClocks: ({ em, deps }) => new TestClockService(em, deps) },
});
