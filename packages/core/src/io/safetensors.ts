/**
 * The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of JSON
 * (`{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}`), then the raw
 * little-endian tensor bytes. Files written here load in Python's `safetensors` and PyTorch; files written
 * by PyTorch (e.g. the AoANet/ClipCap reference fixtures) load here.
 *
 * This module is pure (bytes in, bytes out); it creates no tensors, so it is usable before a backend is set.
 */

/** The element types of the format that this reader and writer support. */
export type SafetensorsDtype =
  'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'U16' | 'U32' | 'BOOL';

/** The typed array a dtype is read into (F16/BF16 stay raw 16-bit words; BOOL is bytes 0/1). */
export type SafetensorsArray =
  | Float64Array
  | Float32Array
  | Uint16Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array
  | Uint32Array;

/** One tensor of a safetensors file. */
export interface SafetensorsEntry {
  /** Element type as the header names it. */
  dtype: SafetensorsDtype;
  /** Dimensions (empty for a scalar). */
  shape: number[];
  /** The elements, row-major. */
  data: SafetensorsArray;
}

/** A parsed safetensors file: tensors in header order, plus the free-form string metadata. */
export interface SafetensorsFile {
  /** Tensors by name, in the header's order. */
  tensors: Map<string, SafetensorsEntry>;
  /** The header's `__metadata__` string map (empty when absent). */
  metadata: Record<string, string>;
}

const ITEM_SIZE: Record<SafetensorsDtype, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  U16: 2,
  U32: 4,
  BOOL: 1,
};

/** Error in a safetensors byte stream or in tensors handed to the writer. */
export class SafetensorsError extends Error {
  /** @param message what is wrong, naming the tensor and the header field where there is one */
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

function view(dtype: SafetensorsDtype, buf: ArrayBuffer, offset: number, count: number): SafetensorsArray {
  switch (dtype) {
    case 'F64':
      return new Float64Array(buf, offset, count);
    case 'F32':
      return new Float32Array(buf, offset, count);
    case 'F16':
    case 'BF16':
    case 'U16':
      return new Uint16Array(buf, offset, count);
    case 'I64':
      return new BigInt64Array(buf, offset, count);
    case 'I32':
      return new Int32Array(buf, offset, count);
    case 'I16':
      return new Int16Array(buf, offset, count);
    case 'I8':
      return new Int8Array(buf, offset, count);
    case 'U32':
      return new Uint32Array(buf, offset, count);
    case 'U8':
    case 'BOOL':
      return new Uint8Array(buf, offset, count);
  }
}

/**
 * Parses safetensors bytes. Each tensor's data is a fresh, aligned typed array (a copy, so the result
 * does not pin the input buffer and alignment never fails).
 *
 * @param bytes the whole file
 * @param source a name for error messages (usually the file path)
 */
export function parseSafetensors(bytes: Uint8Array, source = '<bytes>'): SafetensorsFile {
  if (bytes.byteLength < 8)
    throw new SafetensorsError(`${source}: too short for a safetensors header (${bytes.byteLength} bytes)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(dv.getBigUint64(0, true));
  if (headerLen > bytes.byteLength - 8) {
    throw new SafetensorsError(`${source}: header length ${headerLen} exceeds the file size ${bytes.byteLength}`);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen))) as Record<string, unknown>;
  } catch (e) {
    throw new SafetensorsError(`${source}: header is not valid JSON (${(e as Error).message})`);
  }
  const dataStart = 8 + headerLen;
  const dataLen = bytes.byteLength - dataStart;
  const tensors = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = (raw ?? {}) as Record<string, string>;
      continue;
    }
    const info = raw as { dtype?: string; shape?: number[]; data_offsets?: [number, number] };
    const dtype = info.dtype as SafetensorsDtype;
    if (!(dtype in ITEM_SIZE))
      throw new SafetensorsError(`${source}: tensor "${name}" has unsupported dtype ${String(info.dtype)}`);
    const shape = info.shape ?? [];
    const [begin, end] = info.data_offsets ?? [0, 0];
    const count = shape.reduce((a, b) => a * b, 1);
    const size = ITEM_SIZE[dtype];
    if (end - begin !== count * size || begin < 0 || end > dataLen) {
      throw new SafetensorsError(
        `${source}: tensor "${name}" offsets [${begin}, ${end}] do not fit shape [${shape.join(', ')}] ${dtype}`,
      );
    }
    const copy = new ArrayBuffer(end - begin);
    new Uint8Array(copy).set(bytes.subarray(dataStart + begin, dataStart + end));
    tensors.set(name, { dtype, shape: [...shape], data: view(dtype, copy, 0, count) });
  }
  return { tensors, metadata };
}

function dtypeOf(data: SafetensorsArray): SafetensorsDtype {
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof Float64Array) return 'F64';
  if (data instanceof Int32Array) return 'I32';
  if (data instanceof BigInt64Array) return 'I64';
  if (data instanceof Int16Array) return 'I16';
  if (data instanceof Int8Array) return 'I8';
  if (data instanceof Uint32Array) return 'U32';
  if (data instanceof Uint16Array) return 'U16';
  return 'U8';
}

/** One tensor handed to {@link serializeSafetensors}. */
interface SafetensorsInput {
  /** The elements, row-major; copied byte for byte (safetensors is little-endian, as the hosts tfjs runs on). */
  data: SafetensorsArray;
  /** Dimensions (empty for a scalar); their product must equal `data.length`. */
  shape: readonly number[];
  /**
   * The header's dtype; default from the typed array (`Float32Array` → `F32`, ...); its item size must match the
   * array's.
   */
  dtype?: SafetensorsDtype;
}

/**
 * Serialises tensors to safetensors bytes, back to back in the given order (the format requires contiguous
 * data: each tensor starts where the previous one ends; the header is space-padded to a multiple of 8).
 *
 * @param tensors name → `{data, shape, dtype?}`; `dtype` defaults from the typed array (give `F16`/`BF16`/`BOOL`
 *   explicitly for 16-bit float words or booleans)
 * @param metadata free-form string pairs stored under `__metadata__`
 */
export function serializeSafetensors(
  tensors: Map<string, SafetensorsInput> | Record<string, SafetensorsInput>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  const placed: Array<{ bytes: Uint8Array; offset: number }> = [];
  for (const [name, t] of entries) {
    const dtype = t.dtype ?? dtypeOf(t.data);
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) {
      throw new SafetensorsError(
        `tensor "${name}": shape [${t.shape.join(', ')}] holds ${count} values but data has ${t.data.length}`,
      );
    }
    if (ITEM_SIZE[dtype] !== t.data.BYTES_PER_ELEMENT) {
      throw new SafetensorsError(`tensor "${name}": dtype ${dtype} does not match a ${t.data.constructor.name}`);
    }
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[name] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes.byteLength] };
    placed.push({ bytes, offset });
    offset += bytes.byteLength;
  }
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const finalHeader = new Uint8Array(Math.ceil(headerBytes.byteLength / 8) * 8).fill(0x20);
  finalHeader.set(headerBytes);
  const out = new Uint8Array(8 + finalHeader.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(finalHeader.byteLength), true);
  out.set(finalHeader, 8);
  const dataStart = 8 + finalHeader.byteLength;
  for (const p of placed) out.set(p.bytes, dataStart + p.offset);
  return out;
}
