/**
 * Feature stores: where per-image features come from. Directories as ImageCaptioning.pytorch writes them
 * (`cocotalk_fc/<id>.npy` [2048], `cocotalk_att/<id>.npz` key `feat` [14 × 14 × 2048] or [K × 2048],
 * `cocobu_box/<id>.npy` [K × 4]), an in-memory store (tests, small data), and the BigFile format of the
 * COCO-CN tools.
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataFormatError } from './errors.js';
import { readFileBytes } from './files.js';
import {
  type ArrayHeader,
  type NpyDtype,
  type ShapedArray,
  asFloat32,
  encodeNpy,
  encodeNpz,
  readNpy,
  readNpyHeader,
  readNpz,
  readNpzHeader,
} from './npy.js';

/** A source of per-image float32 feature arrays, keyed by image id. */
export interface FeatureStore {
  /** Where the features are (a directory, or `memory`), for messages. */
  readonly location: string;
  /** The features of an image (float16 files are returned as float32). */
  get(id: number | string): Promise<ShapedArray<Float32Array>>;
  /** Whether the image has features. */
  has(id: number | string): Promise<boolean>;
  /** The shape of an image's features, reading as little as possible. */
  header(id: number | string): Promise<ArrayHeader>;
}

let temporaryCounter = 0;

/** Options of {@link FeatureDirectory}. */
export interface FeatureDirectoryOptions {
  /** `npy` (`<id>.npy`, fc and box features) or `npz` (`<id>.npz`, att features). */
  format: 'npy' | 'npz';
  /** The npz member (default `feat`; `z` is also accepted on read, as the reference does). */
  key?: string;
  /** Element type written by {@link FeatureDirectory.put}: float32 (default) or float16 (half the size). */
  dtype?: Extract<NpyDtype, 'float16' | 'float32'>;
  /** Deflate npz members when writing (default true, as `np.savez_compressed`). */
  compress?: boolean;
}

/**
 * A directory of per-image feature files named by image id, read and written in the reference's format.
 *
 * @example
 * ```ts
 * const att = new FeatureDirectory('data/cocobu_att', { format: 'npz' });
 * const { data, shape } = await att.get(391895); // Float32Array, [36, 2048]
 * const half = new FeatureDirectory('data/att_fp16', { format: 'npz', dtype: 'float16' });
 * await half.put(391895, { data, shape });
 * ```
 */
export class FeatureDirectory implements FeatureStore {
  /** The directory. */
  readonly location: string;
  /** The file format. */
  readonly format: 'npy' | 'npz';
  /** The npz member name. */
  readonly key: string;
  private readonly dtype: 'float16' | 'float32';
  private readonly compress: boolean;

  /**
   * @param dir the directory (created on the first {@link FeatureDirectory.put})
   * @param options format, npz key, written dtype and compression
   */
  constructor(dir: string, options: FeatureDirectoryOptions) {
    this.location = dir;
    this.format = options.format;
    this.key = options.key ?? 'feat';
    this.dtype = options.dtype ?? 'float32';
    this.compress = options.compress ?? true;
  }

  /** The path of an image's file. */
  pathOf(id: number | string): string {
    return join(this.location, `${String(id)}.${this.format}`);
  }

  /** @inheritdoc */
  async get(id: number | string): Promise<ShapedArray<Float32Array>> {
    const path = this.pathOf(id);
    try {
      const array = this.format === 'npy' ? await readNpy(path) : await readNpz(path, this.key);
      return { data: asFloat32(array), shape: array.shape };
    } catch (cause) {
      if (DataFormatError.isInstance(cause)) {
        throw new DataFormatError(cause.problem, { file: path, imageId: id, field: cause.field }, { cause });
      }
      throw cause;
    }
  }

  /** @inheritdoc */
  async has(id: number | string): Promise<boolean> {
    return existsSync(this.pathOf(id));
  }

  /** @inheritdoc */
  async header(id: number | string): Promise<ArrayHeader> {
    const path = this.pathOf(id);
    try {
      return this.format === 'npy' ? await readNpyHeader(path) : await readNpzHeader(path, this.key);
    } catch (cause) {
      if (DataFormatError.isInstance(cause)) {
        throw new DataFormatError(cause.problem, { file: path, imageId: id, field: cause.field }, { cause });
      }
      throw cause;
    }
  }

  /**
   * Writes an image's features (to a temporary name, then renamed, so a crash leaves no half file).
   *
   * @throws DataFormatError naming the file and the image when the folder or the file cannot be written
   */
  async put(id: number | string, array: ShapedArray<ArrayLike<number>>): Promise<void> {
    const bytes =
      this.format === 'npy'
        ? encodeNpy(array, { dtype: this.dtype })
        : encodeNpz({ [this.key]: array }, { dtype: this.dtype, compress: this.compress });
    const path = this.pathOf(id);
    const tmp = `${path}.tmp-${process.pid}-${(temporaryCounter += 1)}`; // distinct for concurrent puts of one id
    try {
      await mkdir(this.location, { recursive: true });
      await writeFile(tmp, bytes);
      await rename(tmp, path);
    } catch (cause) {
      await rm(tmp, { force: true }).catch(() => undefined); // nothing to remove when the folder is the problem
      throw new DataFormatError(
        `cannot write the features (${(cause as Error).message})`,
        { file: path, imageId: id },
        { cause },
      );
    }
  }
}

/**
 * Features held in memory (tests, small data sets, or features computed on the fly).
 *
 * @example
 * ```ts
 * const store = new MemoryFeatureStore();
 * store.set(1, { data: new Float32Array(2048), shape: [2048] });
 * ```
 */
export class MemoryFeatureStore implements FeatureStore {
  /** Always `memory`. */
  readonly location = 'memory';
  private readonly arrays = new Map<string, ShapedArray<Float32Array>>();

  /** Stores an image's features (kept by reference, not copied). */
  set(id: number | string, array: ShapedArray<Float32Array>): void {
    if (array.shape.reduce((a, b) => a * b, 1) !== array.data.length) {
      throw new RangeError(
        `MemoryFeatureStore.set: shape [${array.shape.join(', ')}] does not match ${array.data.length} values`,
      );
    }
    this.arrays.set(String(id), array);
  }

  /** Ids stored, in insertion order. */
  ids(): string[] {
    return [...this.arrays.keys()];
  }

  /** @inheritdoc */
  async get(id: number | string): Promise<ShapedArray<Float32Array>> {
    const a = this.arrays.get(String(id));
    if (a === undefined) throw new DataFormatError('no features for this image', { file: this.location, imageId: id });
    return a;
  }

  /** @inheritdoc */
  async has(id: number | string): Promise<boolean> {
    return this.arrays.has(String(id));
  }

  /** @inheritdoc */
  async header(id: number | string): Promise<ArrayHeader> {
    const a = await this.get(id);
    return { shape: [...a.shape], dtype: 'float32' };
  }
}

/**
 * Reads a BigFile feature folder (the format of the COCO-CN / W2VV tools): `feature.bin` (rows of
 * little-endian float32), `id.txt` (row ids, whitespace-separated) and `shape.txt` (`rows dims`).
 *
 * @returns the rows in a memory store keyed by the ids of `id.txt`
 */
export async function readBigFile(dir: string): Promise<MemoryFeatureStore> {
  const text = async (name: string): Promise<string> =>
    new TextDecoder('utf-8').decode(await readFileBytes(join(dir, name)));
  const shapeText = (await text('shape.txt')).trim().split(/\s+/).map(Number);
  const [rows, dims] = shapeText;
  if (shapeText.length !== 2 || !Number.isInteger(rows) || !Number.isInteger(dims)) {
    throw new DataFormatError('expected "<rows> <dims>"', { file: join(dir, 'shape.txt') });
  }
  const ids = (await text('id.txt')).trim().split(/\s+/);
  if (ids.length !== rows) {
    throw new DataFormatError(`has ${ids.length} ids, shape.txt says ${rows} rows`, { file: join(dir, 'id.txt') });
  }
  const bin = await readFileBytes(join(dir, 'feature.bin'));
  if (bin.length !== (rows as number) * (dims as number) * 4) {
    throw new DataFormatError(`has ${bin.length} bytes, expected ${rows} × ${dims} float32`, {
      file: join(dir, 'feature.bin'),
    });
  }
  const all = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length));
  const store = new MemoryFeatureStore();
  ids.forEach((id, r) =>
    store.set(id, { data: all.subarray(r * (dims as number), (r + 1) * (dims as number)), shape: [dims as number] }),
  );
  return store;
}
