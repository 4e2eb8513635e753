/**
 * File helpers shared by the readers: gzip detection, JSON parsing with errors that name the file, and
 * streaming of large JSON documents.
 */
import { createReadStream } from 'node:fs';
import { type FileHandle, open, readFile } from 'node:fs/promises';
import { createGunzip, gunzipSync } from 'node:zlib';
import { JSONParser } from '@streamparser/json';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { DataFormatError, type DataLocation } from './errors.js';

/** Whether bytes start with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The bytes of a file; a read error becomes a {@link DataFormatError} naming the file. */
export async function readFileBytes(path: string): Promise<Uint8Array> {
  try {
    const buffer = await readFile(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (cause) {
    throw new DataFormatError(`cannot read the file (${(cause as Error).message})`, { file: path }, { cause });
  }
}

/** A file opened for reading; an error becomes a {@link DataFormatError} naming the file. Close it when done. */
export async function openForReading(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (cause) {
    throw new DataFormatError(`cannot open the file (${(cause as Error).message})`, { file: path }, { cause });
  }
}

/** The bytes of a file, gunzipped when it is gzip-compressed (detected by its magic bytes, not its name). */
export async function readMaybeGzip(path: string): Promise<Uint8Array> {
  const bytes = await readFileBytes(path);
  if (!isGzip(bytes)) return bytes;
  try {
    return new Uint8Array(gunzipSync(bytes));
  } catch (cause) {
    throw new DataFormatError('the gzip stream is corrupt', { file: path }, { cause });
  }
}

/** Parses a JSON (or gzipped JSON) file; a syntax error becomes a {@link DataFormatError} naming the file. */
export async function readJsonFile(path: string): Promise<unknown> {
  const text = new TextDecoder('utf-8').decode(await readMaybeGzip(path));
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new DataFormatError(`invalid JSON (${(cause as Error).message})`, { file: path }, { cause });
  }
}

/** Up to `length` bytes from the start of a file (2 are enough to recognise gzip). */
export async function firstBytes(path: string, length = 2): Promise<Uint8Array> {
  const handle = await openForReading(path);
  try {
    const buffer = new Uint8Array(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } catch (cause) {
    throw new DataFormatError(`cannot read the file (${(cause as Error).message})`, { file: path }, { cause });
  } finally {
    await handle.close();
  }
}

/** A value found at one of the requested JSON paths while streaming. */
export interface StreamedJsonValue {
  /** The key (object key or array index) under which the value was found. */
  key: string | number | undefined;
  /** Depth of the value below the root (1 for `$.dataset`, 2 for `$.images.*`). */
  depth: number;
  /** The parsed value. */
  value: unknown;
}

/**
 * Streams a (possibly gzipped) JSON file and yields the values at the given JSONPath-like selectors
 * (`$.images.*`, `$.dataset`) one by one, so that a 144 MB `dataset_coco.json` is never held as one
 * string nor as one parsed tree. Values are yielded in document order.
 */
export async function* streamJsonValues(path: string, selectors: readonly string[]): AsyncGenerator<StreamedJsonValue> {
  const gz = isGzip(await firstBytes(path));
  const parser = new JSONParser({ paths: [...selectors], keepStack: false });
  let pending: StreamedJsonValue[] = [];
  parser.onValue = (info) => {
    pending.push({ key: info.key as string | number | undefined, depth: info.stack.length, value: info.value });
  };
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  let source: AsyncIterable<Buffer> = file;
  if (gz) {
    const gunzip = createGunzip();
    // pipe() does not forward errors: a read error must end the gunzip stream too, or the loop waits forever
    file.on('error', (error) => gunzip.destroy(error));
    source = file.pipe(gunzip);
  }
  try {
    for await (const chunk of source) {
      if (parser.isEnded) break;
      parser.write(chunk);
      const ready = pending;
      pending = [];
      yield* ready;
    }
    if (!parser.isEnded) parser.end();
  } catch (cause) {
    if (DataFormatError.isInstance(cause)) throw cause;
    throw new DataFormatError(`invalid or unreadable JSON (${(cause as Error).message})`, { file: path }, { cause });
  } finally {
    // also when the consumer stops early or the parser ended before the file did
    file.destroy();
  }
  yield* pending;
}

/** A plain object (not null, not an array), for narrowing parsed JSON. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `root` joined with a path taken from a data file (a Karpathy `filepath`/`filename`, a cocotalk `file_path`),
 * refused when it leads outside `root` (`../`, or an absolute path): a data file must not make a command read
 * (or decode, or report on) files elsewhere on the machine.
 *
 * @param location the data file, image id and field the path came from, named in the error
 * @throws DataFormatError naming the image id and the field
 */
export function pathUnderRoot(root: string, relativePath: string, location: DataLocation): string {
  const inside = relative(resolve(root), resolve(root, relativePath));
  if (isAbsolute(relativePath) || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
    throw new DataFormatError(
      `${JSON.stringify(relativePath)} leads outside the images root ${root}; image paths must stay inside it`,
      location,
    );
  }
  return join(root, relativePath);
}
