// .ci/summarize-tests on saved vitest logs (.ci/fixtures/vitest-*.txt, real vitest 5 output
// with its colours, paths shortened to /repo). Each log came from a run like
//   CI=true npx vitest run --project unit <throwaway test file> \
//     partners/webhook-signature.test.ts partners/type-defs-loader.test.ts > log 2>&1
// with a throwaway file that threw at import time (import-error), threw in beforeAll
// (before-all-error), left an unhandled rejection (unhandled-error), failed an assertion
// (failed-test), or alone and failing to import (no-tests-loaded); passed has no throwaway.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../.ci/summarize-tests', import.meta.url));

function fixture(name: string): string {
  return readFileSync(new URL(`../.ci/fixtures/vitest-${name}.txt`, import.meta.url), 'utf8');
}

function summarize(log: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('bash', [script], { input: log, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('.ci/summarize-tests', () => {
  it('passes a run where every test and test file passed, with one closing line', () => {
    expect(summarize(fixture('passed'))).toEqual({
      status: 0,
      stdout: 'tests: 23 passed, 0 failed; test files: 2 passed, 0 failed; errors: 0\n',
      stderr: '',
    });
  });

  it('fails a run where a test file threw at import time though the Tests line reads 0 failed', () => {
    const log = fixture('import-error');
    expect(log).toMatch(/throwaway: this test file fails at import time/);
    expect(summarize(log)).toEqual({
      status: 1,
      stdout: 'tests: 23 passed, 0 failed; test files: 2 passed, 1 failed; errors: 0\n',
      stderr:
        'tests FAILED: 1 test file(s) failed without a failed test: a file that did not load (import error) or whose beforeAll/afterAll threw; see its FAIL lines above\n',
    });
  });

  it('fails a run where a beforeAll threw (its tests count as skipped, not failed)', () => {
    const result = summarize(fixture('before-all-error'));
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('tests: 23 passed, 0 failed; test files: 2 passed, 1 failed; errors: 0\n');
    expect(result.stderr).toMatch(/^tests FAILED: 1 test file\(s\) failed without a failed test/);
  });

  it('fails a run where every test passed but vitest reported an unhandled error', () => {
    expect(summarize(fixture('unhandled-error'))).toEqual({
      status: 1,
      stdout: 'tests: 24 passed, 0 failed; test files: 3 passed, 0 failed; errors: 1\n',
      stderr: 'tests FAILED: 1 unhandled error(s) during the test run\n',
    });
  });

  it('fails a run with a failed test, naming the test and the file counts', () => {
    expect(summarize(fixture('failed-test'))).toEqual({
      status: 1,
      stdout: 'tests: 23 passed, 1 failed; test files: 2 passed, 1 failed; errors: 0\n',
      stderr: 'tests FAILED: 1 test(s) failed\ntests FAILED: 1 test file(s) failed\n',
    });
  });

  it('fails a run where no test file loaded ("Tests  no tests")', () => {
    const result = summarize(fixture('no-tests-loaded'));
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('tests: 0 passed, 0 failed; test files: 0 passed, 1 failed; errors: 0\n');
    expect(result.stderr).toMatch(/no test ran/);
  });

  it('fails a log without a vitest summary (vitest crashed or never started)', () => {
    const result = summarize('> coalition-gateway@0.1.0 test\n> npm run -s build && vitest run\nerror TS2304: Cannot find name\n');
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/no vitest summary \("Test Files …"\) in the log: vitest did not finish/);
  });

  it('is what .ci/run pipes the test log into', () => {
    const run = readFileSync(new URL('../.ci/run', import.meta.url), 'utf8');
    expect(run).toContain('.ci/summarize-tests <"$log" || summary=$?');
    expect(run).toMatch(/if \[ "\$summary" -ne 0 \]; then exit 1; fi/);
  });
});
