// Members on test clocks, through the gateway as an admin would do it.
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { TestApp } from './app.js';

export interface ClockMember {
  bearer: string;
  memberId: string;
  clockId: string;
}

/** A fresh member on a fresh test clock frozen at `at` (ISO). */
export async function memberOnClock(t: TestApp, admin: string, at: string, name = 'test'): Promise<ClockMember> {
  const bearer = await t.memberToken(`member-${randomUUID()}`);
  const me = await t.graphql(`{ me { id } }`, {}, { bearer });
  const clock = await t.graphql(`mutation($at: DateTimeISO!, $name: String) { createTestClock(frozenTime: $at, name: $name) { id name frozenTime } }`, { at, name }, { bearer: admin });
  expect(clock.errors, JSON.stringify(clock.errors)).toBeUndefined();
  expect(clock.data.createTestClock.frozenTime).toBe(at);
  const attached = await t.graphql(`mutation($c: ID!, $m: ID!) { attachTestClock(testClockId: $c, memberId: $m) { id } }`, { c: clock.data.createTestClock.id, m: me.data.me.id }, { bearer: admin });
  expect(attached.errors, JSON.stringify(attached.errors)).toBeUndefined();
  return { bearer, memberId: me.data.me.id as string, clockId: clock.data.createTestClock.id as string };
}

/** Moves the clock to `to` and checks it got there (everything due up to then has run). */
export async function advanceClock(t: TestApp, admin: string, clockId: string, to: Date | string): Promise<void> {
  const iso = typeof to === 'string' ? to : to.toISOString();
  const moved = await t.graphql(`mutation($c: ID!, $to: DateTimeISO!) { advanceTestClock(testClockId: $c, to: $to) { frozenTime } }`, { c: clockId, to: iso }, { bearer: admin });
  expect(moved.errors, JSON.stringify(moved.errors)).toBeUndefined();
  expect(moved.data.advanceTestClock.frozenTime).toBe(iso);
}

/** `count` fresh members on one fresh test clock frozen at `at` (ISO). */
export async function membersOnClock(t: TestApp, admin: string, at: string, count: number, name = 'test'): Promise<{ clockId: string; members: ClockMember[] }> {
  const clock = await t.graphql(`mutation($at: DateTimeISO!, $name: String) { createTestClock(frozenTime: $at, name: $name) { id } }`, { at, name }, { bearer: admin });
  expect(clock.errors, JSON.stringify(clock.errors)).toBeUndefined();
  const clockId = clock.data.createTestClock.id as string;
  const members: ClockMember[] = [];
  for (let i = 0; i < count; i++) {
    const bearer = await t.memberToken(`member-${randomUUID()}`);
    const me = await t.graphql(`{ me { id } }`, {}, { bearer });
    const attached = await t.graphql(`mutation($c: ID!, $m: ID!) { attachTestClock(testClockId: $c, memberId: $m) { id } }`, { c: clockId, m: me.data.me.id }, { bearer: admin });
    expect(attached.errors, JSON.stringify(attached.errors)).toBeUndefined();
    members.push({ bearer, memberId: me.data.me.id as string, clockId });
  }
  return { clockId, members };
}
