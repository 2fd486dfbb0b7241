import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Creates `target` with `data` only if it does not exist yet, atomically: readers never see a
 * partly written file, and of several concurrent creators exactly one wins.
 *
 * @returns `true` when this call created the file, `false` when it already existed.
 */
export async function createFileExclusively(target: string, data: string, mode: number): Promise<boolean> {
  const temp = `${target}.${randomBytes(8).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    // link(2), unlike rename(2), fails with EEXIST instead of replacing the target.
    await link(temp, target);
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(temp, { force: true });
  }
}

/**
 * Replaces `target` with `data` atomically (write a temp file, then rename over it): readers
 * see the old content or the new, never a mix.
 */
export async function replaceFileAtomically(target: string, data: string, mode: number): Promise<void> {
  const temp = `${target}.${randomBytes(8).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Options of {@link withFileLock}. */
export interface FileLockOptions {
  /** How long to wait for another holder before giving up. @default 10_000 */
  timeoutMs?: number;
  /** A lock file older than this was left by a holder that crashed, and is broken. @default 30_000 */
  staleMs?: number;
}

/**
 * Runs `work` while holding `lockFile` (created exclusively, removed afterwards), so
 * read-modify-write sequences of several processes on one directory run one at a time.
 *
 * @throws Error when the lock stays taken longer than `timeoutMs`.
 */
export async function withFileLock<T>(lockFile: string, work: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const staleMs = options.staleMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(lockFile, 'wx', 0o600);
      try {
        await handle.writeFile(`${process.pid}\n`, 'utf8');
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw error;
    }
    const age = await fileAgeMs(lockFile);
    // Holders keep the lock for milliseconds; one this old belongs to a process that died holding it.
    if (age !== undefined && age > staleMs) {
      await rm(lockFile, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${lockFile}; if no key operation is running, remove it`);
    }
    await sleep(5 + Math.random() * 20);
  }
  try {
    return await work();
  } finally {
    await rm(lockFile, { force: true });
  }
}

async function fileAgeMs(file: string): Promise<number | undefined> {
  try {
    return Date.now() - (await stat(file)).mtimeMs;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/** Creates `dir` (and parents) and makes sure only the owner can enter it. */
export async function ensurePrivateDirectory(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // mkdir's mode only applies to directories it creates; tighten one that already existed.
  const { mode } = await stat(dir);
  if ((mode & 0o077) !== 0) await chmod(dir, 0o700);
}

/** The `code` of a Node.js system error, if any. */
export function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}
