/**
 * NumPy `.npy` and `.npz` files (what ImageCaptioning.pytorch's feature scripts write: `np.save` for fc
 * and box features, `np.savez_compressed(..., feat=...)` for attention features), through `npyjs` (npy
 * header and data) and `fflate` (the zip container), plus float16 conversion.
 */
import { stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { inflateRaw } from 'node:zlib';
import { Unzip, UnzipInflate, UnzipPassThrough, type FlateError, unzipSync, zipSync } from 'fflate';
import { dump as npyDump, parse as npyParse } from 'npyjs';
import { DataFormatError } from './errors.js';
import { firstBytes, openForReading, readFileBytes } from './files.js';

/** A typed array with its shape (row-major, C order). */
export interface ShapedArray<T extends ArrayLike<number> = Float32Array> {
  /** The values, row-major. */
  data: T;
  /** The dimensions; the product equals `data.length`. */
  shape: number[];
}

/** Element types this package reads from and writes to `.npy` files. */
export type NpyDtype = 'float16' | 'float32' | 'float64' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32';

/** An array read from a `.npy` file: values as stored (float16 is returned as float32). */
export interface NpyArray extends ShapedArray<
  Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
> {
  /** The dtype stored in the file. */
  dtype: NpyDtype;
}

const NPY_CODES: Record<string, NpyDtype> = {
  f2: 'float16',
  f4: 'float32',
  f8: 'float64',
  i1: 'int8',
  u1: 'uint8',
  i2: 'int16',
  u2: 'uint16',
  i4: 'int32',
  u4: 'uint32',
};

// ---------------------------------------------------------------------------------------------------------
// float16

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** The IEEE binary16 bits of a number, rounded to nearest-even as NumPy's `astype(np.float16)` does. */
export function toFloat16Bits(value: number): number {
  f32Scratch[0] = value;
  const x = u32Scratch[0] as number;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0); // inf / NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow → inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow → ±0
    mant |= 0x800000; // subnormal: add the implicit bit, shift into place with round-half-even
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let m = mant >>> shift;
    if (rest > half || (rest === half && (m & 1) === 1)) m += 1;
    return sign | m;
  }
  const rest = mant & 0x1fff;
  let bits = (e << 10) | (mant >>> 13);
  if (rest > 0x1000 || (rest === 0x1000 && (bits & 1) === 1)) bits += 1; // may carry into the exponent: correct
  return sign | bits;
}

let f16Table: Float32Array | undefined;

/** All 65,536 float16 values as float32 (built once, 256 KB). */
function float16Table(): Float32Array {
  if (f16Table !== undefined) return f16Table;
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h += 1) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) table[h] = sign * mant * 2 ** -24;
    else if (exp === 0x1f) table[h] = mant === 0 ? sign * Infinity : Number.NaN;
    else table[h] = sign * (1 + mant / 1024) * 2 ** (exp - 15);
  }
  f16Table = table;
  return table;
}

/** Float16 bit patterns to float32 values (exact). */
export function float16ToFloat32(bits: Uint16Array): Float32Array {
  const table = float16Table();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i += 1) out[i] = table[bits[i] as number] as number;
  return out;
}

/** Float32 values to float16 bit patterns (round to nearest even; overflow → ±inf). */
export function float32ToFloat16(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i += 1) out[i] = toFloat16Bits(values[i] as number);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// .npy

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Offset of the data in an npy file, from its first 12 bytes. */
function npyDataOffset(bytes: Uint8Array, file?: string): number {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) {
    throw new DataFormatError('not an .npy file (bad magic bytes)', { file });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6] as number;
  if (major === 1) return 10 + view.getUint16(8, true);
  if (bytes.length < 12) throw new DataFormatError('truncated .npy header', { file });
  return 12 + view.getUint32(8, true);
}

function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) {
    return bytes.buffer;
  }
  return bytes.slice().buffer;
}

/** Shape and dtype from an npy header (the data may be absent). */
function parseNpyHeader(bytes: Uint8Array, file?: string): { shape: number[]; dtype: NpyDtype; dataOffset: number } {
  const dataOffset = npyDataOffset(bytes, file);
  if (bytes.length < dataOffset) throw new DataFormatError('truncated .npy header', { file });
  const header = new TextDecoder('latin1').decode(bytes.subarray(0, dataOffset));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  if (descr === undefined || !/'shape'\s*:\s*\(/.test(header)) {
    throw new DataFormatError('malformed .npy header', { file, field: 'header' });
  }
  if (/'fortran_order'\s*:\s*True/.test(header)) {
    throw new DataFormatError('Fortran-ordered arrays are not supported; save with np.ascontiguousarray', {
      file,
      field: 'fortran_order',
    });
  }
  const order = descr[0];
  const dtype = NPY_CODES[descr.slice(1)];
  if (dtype === undefined || (order === '>' && !descr.endsWith('1'))) {
    throw new DataFormatError(`unsupported dtype ${descr} (little-endian numeric types only)`, {
      file,
      field: 'descr',
    });
  }
  const parsed = npyParse(ownBuffer(bytes.subarray(0, dataOffset)), { convertFloat16: false });
  return { shape: parsed.shape, dtype, dataOffset };
}

/** Throws when `dataBytes` is not what the header's shape and dtype need (a file cut short, or with extra bytes). */
function checkNpyDataSize(dataBytes: number, shape: readonly number[], dtype: NpyDtype, file?: string): void {
  const itemSize = dtype === 'float16' ? 2 : Number(/\d+$/.exec(dtype)?.[0] ?? 8) / 8;
  const expected = product(shape) * itemSize;
  if (dataBytes !== expected) {
    throw new DataFormatError(
      `data has ${dataBytes} bytes, expected ${expected} for shape [${shape.join(', ')}] ${dtype}${dataBytes < expected ? ' (truncated?)' : ''}`,
      { file, field: 'data' },
    );
  }
}

/**
 * Parses an `.npy` file. float16 data is returned as float32 (exact); other dtypes as stored.
 *
 * @throws DataFormatError naming the file: bad magic, unsupported dtype, Fortran order, a data size that
 *   does not match the shape
 */
export function decodeNpy(bytes: Uint8Array, file?: string): NpyArray {
  const { shape, dtype, dataOffset } = parseNpyHeader(bytes, file);
  checkNpyDataSize(bytes.length - dataOffset, shape, dtype, file);
  // npyjs views the rest of the buffer; give it exactly header + data, at offset 0 (aligned).
  const parsed = npyParse(ownBuffer(bytes), { convertFloat16: false });
  const data = parsed.data as NpyArray['data'];
  if (dtype === 'float16') return { data: float16ToFloat32(data as Uint16Array), shape, dtype };
  return { data, shape, dtype };
}

/** The values of an npy array as float32 (converting other dtypes). */
export function asFloat32(array: NpyArray): Float32Array {
  return array.data instanceof Float32Array ? array.data : Float32Array.from(array.data);
}

/** Options of {@link encodeNpy}. */
export interface NpyWriteOptions {
  /** Stored element type; float arrays default to float32. `float16` halves the size (rounded to nearest even). */
  dtype?: NpyDtype;
}

type TypedCtor = new (values: ArrayLike<number>) => ArrayLike<number> & ArrayBufferView;

const WRITERS: Record<
  Exclude<NpyDtype, 'float16'>,
  readonly [TypedCtor, 'f4' | 'f8' | 'i1' | 'u1' | 'i2' | 'u2' | 'i4' | 'u4']
> = {
  float32: [Float32Array, 'f4'],
  float64: [Float64Array, 'f8'],
  int8: [Int8Array, 'i1'],
  uint8: [Uint8Array, 'u1'],
  int16: [Int16Array, 'i2'],
  uint16: [Uint16Array, 'u2'],
  int32: [Int32Array, 'i4'],
  uint32: [Uint32Array, 'u4'],
};

/** An `.npy` file (format 1.0, C order, little-endian) for an array, readable by `np.load`. */
export function encodeNpy(array: ShapedArray<ArrayLike<number>>, options: NpyWriteOptions = {}): Uint8Array {
  if (product(array.shape) !== array.data.length) {
    throw new RangeError(`encodeNpy: shape [${array.shape.join(', ')}] does not match ${array.data.length} values`);
  }
  const dtype = options.dtype ?? 'float32';
  if (dtype === 'float16') {
    return new Uint8Array(npyDump(float32ToFloat16(array.data), [...array.shape], { dtype: 'f2' }));
  }
  const [ctor, code] = WRITERS[dtype];
  const typed = array.data instanceof ctor ? array.data : new ctor(array.data);
  return new Uint8Array(npyDump(typed as Float32Array, [...array.shape], { dtype: code }));
}

// ---------------------------------------------------------------------------------------------------------
// .npz

/** Options of {@link encodeNpz}. */
export interface NpzWriteOptions extends NpyWriteOptions {
  /** Deflate the members, as `np.savez_compressed` (default true); false stores them, as `np.savez`. */
  compress?: boolean;
}

/** An `.npz` archive of named arrays (member `<name>.npy` each), readable by `np.load`. */
export function encodeNpz(
  arrays: Record<string, ShapedArray<ArrayLike<number>>>,
  options: NpzWriteOptions = {},
): Uint8Array {
  const level = options.compress === false ? 0 : 6;
  const members: Record<string, [Uint8Array, { level: 0 | 6 }]> = {};
  for (const [name, array] of Object.entries(arrays)) members[`${name}.npy`] = [encodeNpy(array, options), { level }];
  return zipSync(members);
}

/**
 * Parses an `.npz` archive (stored or deflated members) into its arrays, keyed by member name without
 * `.npy`. Pass `names` to decompress only some members.
 *
 * @throws DataFormatError naming the file and the member
 */
export function decodeNpz(bytes: Uint8Array, file?: string, names?: readonly string[]): Map<string, NpyArray> {
  let members: Record<string, Uint8Array>;
  try {
    const wanted = names === undefined ? undefined : new Set(names.map((n) => `${n}.npy`));
    members = unzipSync(bytes, wanted === undefined ? {} : { filter: (f) => wanted.has(f.name) });
  } catch (cause) {
    throw new DataFormatError(`not a readable .npz (zip) archive (${(cause as Error).message})`, { file }, { cause });
  }
  const out = new Map<string, NpyArray>();
  for (const [name, content] of Object.entries(members)) {
    const key = name.replace(/\.npy$/, '');
    try {
      out.set(key, decodeNpy(content, file));
    } catch (cause) {
      if (DataFormatError.isInstance(cause)) throw new DataFormatError(cause.problem, { file, field: key }, { cause });
      throw cause;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// files

/** Reads an `.npy` file. See {@link decodeNpy}. */
export async function readNpy(path: string): Promise<NpyArray> {
  return decodeNpy(await readFileBytes(path), path);
}

const inflateRawAsync = promisify(inflateRaw);

/** An fflate zip decoder that hands deflated members over still compressed (inflated later off the main thread). */
class RawDeflate {
  static readonly compression = 8;
  ondata: (err: FlateError | null, data: Uint8Array, final: boolean) => void = () => undefined;
  push(chunk: Uint8Array, final: boolean): void {
    this.ondata(null, chunk, final);
  }
}

/**
 * The members of a zip archive, located by fflate's zip reader; deflated members are inflated by
 * Node's zlib on the libuv thread pool, so several files (a prefetched batch) decompress in parallel
 * and the main thread stays free.
 */
async function unzipMembersAsync(bytes: Uint8Array, names: ReadonlySet<string>): Promise<Map<string, Uint8Array>> {
  const found: Array<{ name: string; compression: number; chunks: Uint8Array[] }> = [];
  const unzip = new Unzip((member) => {
    if (!names.has(member.name)) return;
    const entry = { name: member.name, compression: member.compression, chunks: [] as Uint8Array[] };
    found.push(entry);
    member.ondata = (err, chunk) => {
      if (err === null) entry.chunks.push(chunk);
    };
    member.start();
  });
  unzip.register(UnzipPassThrough);
  unzip.register(RawDeflate);
  unzip.push(bytes, true);
  const out = new Map<string, Uint8Array>();
  await Promise.all(
    found.map(async (entry) => {
      const raw = concat(entry.chunks);
      out.set(entry.name, entry.compression === 8 ? new Uint8Array(await inflateRawAsync(raw)) : raw);
    }),
  );
  return out;
}

/**
 * Reads one array of an `.npz` file.
 *
 * @param key the member name; when absent, `fallbackKeys` are tried in order (the reference accepts `z`
 *   for `feat` because some released files used it)
 */
export async function readNpz(path: string, key = 'feat', fallbackKeys: readonly string[] = ['z']): Promise<NpyArray> {
  const keys = [key, ...fallbackKeys];
  let members: Map<string, Uint8Array>;
  try {
    members = await unzipMembersAsync(await readFileBytes(path), new Set(keys.map((k) => `${k}.npy`)));
  } catch (cause) {
    if (DataFormatError.isInstance(cause)) throw cause;
    throw new DataFormatError(
      `not a readable .npz (zip) archive (${(cause as Error).message})`,
      { file: path },
      { cause },
    );
  }
  for (const k of keys) {
    const content = members.get(`${k}.npy`);
    if (content === undefined) continue;
    try {
      return decodeNpy(content, path);
    } catch (cause) {
      if (DataFormatError.isInstance(cause))
        throw new DataFormatError(cause.problem, { file: path, field: k }, { cause });
      throw cause;
    }
  }
  throw new DataFormatError(`member "${key}.npy" not found`, { file: path, field: key });
}

/** Shape and dtype of an array file, read from its header only. */
export interface ArrayHeader {
  /** The array's dimensions. */
  shape: number[];
  /** The stored element type. */
  dtype: NpyDtype;
}

/**
 * Shape and dtype of an `.npy` file without reading its data; the file's size is compared with the size its
 * header implies, so that a file cut short is found before a training run reaches it.
 *
 * @throws DataFormatError naming the file: bad header, or a data size that does not match the header
 */
export async function readNpyHeader(path: string): Promise<ArrayHeader> {
  let bytes = await firstBytes(path, 256);
  const offset = npyDataOffset(bytes, path);
  if (offset > bytes.length) bytes = await firstBytes(path, offset);
  const { shape, dtype, dataOffset } = parseNpyHeader(bytes, path);
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (cause) {
    throw new DataFormatError(`cannot read the file (${(cause as Error).message})`, { file: path }, { cause });
  }
  checkNpyDataSize(size - dataOffset, shape, dtype, path);
  return { shape, dtype };
}

/**
 * Shape and dtype of one member of an `.npz` file, decompressing only the first few kilobytes of that
 * member (so checking 100k attention files does not inflate 100 GB).
 */
export async function readNpzHeader(
  path: string,
  key = 'feat',
  fallbackKeys: readonly string[] = ['z'],
): Promise<ArrayHeader> {
  const names = new Set([key, ...fallbackKeys].map((k) => `${k}.npy`));
  let found: Uint8Array | undefined;
  let failure: FlateError | undefined;
  let collected: Uint8Array[] = [];
  let total = 0;
  const unzip = new Unzip((member) => {
    if (!names.has(member.name) || found !== undefined) return;
    member.ondata = (err, chunk) => {
      if (err !== null) failure ??= err;
      if (err !== null || found !== undefined) return;
      collected.push(chunk);
      total += chunk.length;
      if (total >= 12) {
        const joined = concat(collected);
        try {
          const offset = npyDataOffset(joined, path);
          if (joined.length >= offset) found = joined;
          else collected = [joined];
        } catch {
          found = joined; // not npy: let parseNpyHeader report it
        }
      }
    };
    member.start();
  });
  unzip.register(UnzipInflate);
  const chunkSize = 1 << 16;
  const handle = await openForReading(path);
  try {
    const { size } = await handle.stat();
    for (let pos = 0; pos < size && found === undefined && failure === undefined; pos += chunkSize) {
      const buf = new Uint8Array(Math.min(chunkSize, size - pos));
      await handle.read(buf, 0, buf.length, pos);
      try {
        unzip.push(buf, pos + buf.length >= size);
      } catch (cause) {
        throw new DataFormatError(
          `not a readable .npz (zip) archive (${(cause as Error).message})`,
          { file: path },
          { cause },
        );
      }
    }
  } finally {
    await handle.close();
  }
  if (failure !== undefined) {
    throw new DataFormatError(
      `not a readable .npz (zip) archive (${failure.message})`,
      { file: path, field: key },
      { cause: failure },
    );
  }
  if (found === undefined) throw new DataFormatError(`member "${key}.npy" not found`, { file: path, field: key });
  const { shape, dtype } = parseNpyHeader(found, path);
  return { shape, dtype };
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}
