import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, rm, stat } from 'node:fs/promises';

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
