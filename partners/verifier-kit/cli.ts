#!/usr/bin/env node
// entitlement-verify: verify an entitlement token from the command line. All logic is in run-cli.ts.
import { runCli } from './run-cli.js';

process.exitCode = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
});
