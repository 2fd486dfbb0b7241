import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { SLOW_ROOT_FIELDS, slowestRootField } from './subgraph-timeout.js';

describe('the subgraph timeout', () => {
  it('gives a test clock advance its own limit, and every other operation the default', () => {
    expect(slowestRootField(parse('mutation { advanceTestClock(testClockId: "c", to: "2028-01-01T00:00:00Z") { frozenTime } }'), SLOW_ROOT_FIELDS)).toBe(15 * 60_000);
    expect(slowestRootField(parse('mutation { a: createTestClock(frozenTime: "2027-01-01T00:00:00Z") { id } b: advanceTestClock(testClockId: "c", to: "x") { id } }'), SLOW_ROOT_FIELDS)).toBe(15 * 60_000);
    expect(slowestRootField(parse('{ me { id } }'), SLOW_ROOT_FIELDS)).toBeUndefined();
    // A field of that name deeper down is not a root field.
    expect(slowestRootField(parse('{ me { advanceTestClock } }'), SLOW_ROOT_FIELDS)).toBeUndefined();
    expect(slowestRootField(undefined, SLOW_ROOT_FIELDS)).toBeUndefined();
  });
});
