/**
 * Atomic writes: a file or a whole folder is written under a temporary name
 * next to its destination, flushed to disk, then renamed into place, so a
 * crash at any moment leaves either the old version or the new one, never a
 * half-written mix.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { LabError } from '../errors.js';

function tempName(path: string, tag: string): string {
  return join(dirname(path), `.${basename(path)}.${tag}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** fsync a directory so that a rename inside it survives a power loss (best effort: not every platform allows it). */
async function syncDir(dir: string): Promise<void> {
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // Directories cannot be opened for fsync on some platforms (Windows); the rename is still atomic.
  } finally {
    await fh?.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Writes a file and flushes it to disk (for files inside a folder that writeDirAtomic renames). */
export async function writeFileSynced(path: string, data: Uint8Array | string): Promise<void> {
  const fh = await open(path, 'wx');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes `data` to `path` through a temporary file and a rename. Creates the parent folder. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempName(path, 'tmp');
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await syncDir(dirname(path));
}

/**
 * Writes a file through a temporary file that `write` fills through the given
 * path (for streamed writers), then renames it to `path`.
 */
export async function withAtomicFile(path: string, write: (tmpPath: string) => Promise<void>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempName(path, 'tmp');
  try {
    await write(tmp);
    const fh = await open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await syncDir(dirname(path));
}

/** Where the previous version of folder `dir` waits while a new one replaces it. */
export function previousDirOf(dir: string): string {
  return join(dirname(dir), `${basename(dir)}.prev`);
}

/**
 * Replaces folder `dir` with a folder that `fill` writes (files written into
 * the temporary folder it is given). Sequence: fill `dir.tmp-*`; move an
 * existing `dir` to `dir.prev`; rename the new folder to `dir`; delete
 * `dir.prev`. A crash between the two renames leaves `dir.prev` complete,
 * and `resolveAtomicDir` then reads it.
 */
export async function writeDirAtomic(dir: string, fill: (tmpDir: string) => Promise<void>): Promise<void> {
  const parent = dirname(dir);
  await mkdir(parent, { recursive: true });
  const tmp = tempName(dir, 'tmp');
  const prev = previousDirOf(dir);
  try {
    await mkdir(tmp);
    await fill(tmp);
    await syncDir(tmp);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  if (await exists(dir)) {
    const s = await stat(dir);
    if (!s.isDirectory()) {
      await rm(tmp, { recursive: true, force: true });
      throw new LabError('CHECKPOINT_PATH', `${dir} exists and is not a folder`, { file: dir });
    }
    // A stale .prev (from a save that crashed after its second rename) is older than dir: drop it.
    await rm(prev, { recursive: true, force: true });
    await rename(dir, prev);
  }
  await rename(tmp, dir);
  await syncDir(parent);
  await rm(prev, { recursive: true, force: true });
}

/** `dir` if it exists, else `dir.prev` if a save was interrupted between its renames, else `dir`. */
export async function resolveAtomicDir(dir: string): Promise<string> {
  if (await exists(dir)) return dir;
  const prev = previousDirOf(dir);
  return (await exists(prev)) ? prev : dir;
}
