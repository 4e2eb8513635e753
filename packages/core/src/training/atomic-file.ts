/**
 * Durable, atomic file writes: data goes to a temporary file in the same directory, is flushed to disk
 * (`fsync`), then renamed over the target, and the directory entry is flushed too. A crash leaves either
 * the old file or the new one, never a torn mix.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Writes `data` to `path` and flushes it to disk before returning (no rename). */
export function writeFileDurable(path: string, data: Uint8Array | string): void {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const fd = openSync(path, 'w', 0o644);
  try {
    let offset = 0;
    while (offset < bytes.byteLength) offset += writeSync(fd, bytes, offset, bytes.byteLength - offset);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Flushes a directory's entries (new or renamed files) to disk; a no-op where the OS does not allow it. */
export function fsyncDirectory(directory: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(directory, 'r');
    fsyncSync(fd);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF') throw e;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A unique temporary name beside `path` (hidden, with the process id). */
export function temporarySibling(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/**
 * Replaces `path` atomically with `data`: temp file, `fsync`, rename, `fsync` of the directory.
 *
 * @example
 * ```ts
 * writeFileAtomic('run/latest.json', JSON.stringify({ checkpoint: 'step-00000120-1a2b3c4d' }));
 * ```
 */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const tmp = temporarySibling(path);
  try {
    writeFileDurable(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDirectory(dirname(path));
}
