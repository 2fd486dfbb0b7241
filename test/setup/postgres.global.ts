// Gives the PostgreSQL test project a server: DATABASE_URL when set (the test machines
// run one on 127.0.0.1:5432), otherwise an embedded PostgreSQL kept under the OS temp dir.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../src/platform/db/embedded-postgres.js';
import { freePort } from '../support/free-port.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Connection string of a maintenance database; each test file creates its own database. */
    pgAdminUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const configured = process.env.DATABASE_URL;
  if (configured) {
    const url = new URL(configured);
    url.pathname = '/postgres';
    project.provide('pgAdminUrl', url.toString());
    return async () => {};
  }
  const port = Number(process.env.TEST_EMBEDDED_PG_PORT ?? 54331);
  try {
    const db = await startEmbeddedPostgres({ dataDir: path.join(os.tmpdir(), 'coalition-gateway-test-pg'), port });
    project.provide('pgAdminUrl', db.adminUrl);
    return () => db.stop();
  } catch (error) {
    // Another test run on this machine holds the kept cluster: run on a throwaway one.
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'coalition-gateway-test-pg-'));
    const db = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'pg'), port: await freePort() });
    console.warn(`test PostgreSQL: ${(error as Error).message}; using a throwaway cluster in ${dataDir}`);
    project.provide('pgAdminUrl', db.adminUrl);
    return async () => {
      await db.stop();
      await fs.rm(dataDir, { recursive: true, force: true });
    };
  }
}

