/**
 * Writing a command's outputs as one set: each file goes to a temporary name beside its final one, and the
 * temporary files are renamed into place only when every one of them was written (and checked). A failure
 * (folder not writable, disk full, a directory in the way) leaves the previous outputs untouched, removes the
 * temporary files, and is a {@link DataWriteError} naming the output.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DataWriteError, writeFailureReason } from './errors.js';

/** A hidden, unique temporary name beside `path`. */
export function temporaryPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/**
 * Creates `path`'s folder and an empty temporary file beside it, so that an unwritable place fails here, before
 * any work, with the output's name; also refuses a final name that is a directory.
 *
 * @returns the temporary path
 * @throws DataWriteError naming `path`
 */
export async function createTemporaryFor(path: string): Promise<string> {
  const info = await stat(path).catch(() => undefined);
  if (info?.isDirectory() === true) throw new DataWriteError(path, writeFailureReason({ code: 'EISDIR' }));
  const tmp = temporaryPathFor(path);
  try {
    await mkdir(dirname(path), { recursive: true });
    await (await open(tmp, 'wx')).close();
  } catch (cause) {
    throw new DataWriteError(path, writeFailureReason(cause), { cause });
  }
  return tmp;
}

/** Writes `data` to `file` (flushed to disk); a failure is a {@link DataWriteError} naming `reportAs`. */
export async function writeFileChecked(file: string, data: string | Uint8Array, reportAs = file): Promise<void> {
  try {
    const handle = await open(file, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (cause) {
    throw new DataWriteError(reportAs, writeFailureReason(cause), { cause });
  }
}

/**
 * Outputs written as one set (see the module comment).
 *
 * @example
 * ```ts
 * await writeOutputSet(async (out) => {
 *   await out.write('data/cocotalk_label.h5', (tmp) => writeLabelsH5(tmp, labels));
 *   await out.write('data/cocotalk.json', (tmp) => writeCocoTalk(tmp, cocotalk));
 * }); // both renamed into place, or neither
 * ```
 */
export class OutputSet {
  private readonly staged: Array<{ path: string; tmp: string }> = [];

  /**
   * A temporary file to write the output `path` to (created empty now; see {@link createTemporaryFor}).
   *
   * @throws DataWriteError naming `path`
   */
  async temporary(path: string): Promise<string> {
    const tmp = await createTemporaryFor(path);
    this.staged.push({ path, tmp });
    return tmp;
  }

  /**
   * Writes the output `path` with `writer`, given the temporary file to write; a {@link DataWriteError} that names
   * the temporary file is reported under `path`.
   *
   * @throws DataWriteError naming `path`
   */
  async write(path: string, writer: (temporaryFile: string) => Promise<void>): Promise<void> {
    const tmp = await this.temporary(path);
    try {
      await writer(tmp);
    } catch (error) {
      if (error instanceof DataWriteError && error.file === tmp)
        throw new DataWriteError(path, error.problem, { cause: error });
      throw error;
    }
  }

  /**
   * Renames every temporary file to its final name (the first failure is a {@link DataWriteError}, and the
   * temporary files not yet renamed are removed).
   */
  async commit(): Promise<void> {
    try {
      for (const { path, tmp } of this.staged) {
        try {
          await rename(tmp, path);
        } catch (cause) {
          throw new DataWriteError(path, writeFailureReason(cause), { cause });
        }
      }
    } finally {
      await this.discard();
    }
  }

  /** Removes the temporary files (a no-op for those already renamed). */
  async discard(): Promise<void> {
    const staged = this.staged.splice(0);
    await Promise.all(staged.map(({ tmp }) => rm(tmp, { force: true }).catch(() => undefined)));
  }
}

/** Runs `work` with a new {@link OutputSet}, then commits it; on any failure the temporary files are removed. */
export async function writeOutputSet(work: (out: OutputSet) => Promise<void>): Promise<void> {
  const out = new OutputSet();
  try {
    await work(out);
  } catch (error) {
    await out.discard();
    throw error;
  }
  await out.commit();
}
