import { AppError, defineErrors, type ErrorCodesOf } from '../../platform/errors.js';

/** The test-clock module's error codes (see ErrorSpec). */
export const errorCodes = defineErrors({
  TEST_CLOCKS_DISABLED: { http: 200, extensions: [], meaning: 'Test clocks exist in development and tests only; production refuses every test-clock operation.' },
  TEST_CLOCK_MEMBER_NOT_FRESH: {
    http: 200,
    extensions: [],
    meaning: 'Only a member with no membership and no activity yet (and on no other clock) can be attached to a test clock; nothing changed.',
  },
});

declare module '../../platform/errors.js' {
  interface ErrorCodeRegistry extends ErrorCodesOf<typeof errorCodes> {}
}

export class TestClockError extends AppError {
  static disabled(): TestClockError {
    return new TestClockError('TEST_CLOCKS_DISABLED', 'Test clocks are disabled in production');
  }

  static memberNotFresh(memberId: string, why: string): TestClockError {
    return new TestClockError('TEST_CLOCK_MEMBER_NOT_FRESH', `Member ${memberId} cannot be attached to a test clock: ${why}`);
  }
}
