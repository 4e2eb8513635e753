/**
 * Caption labels in the layout of `cocotalk_label.h5` (`prepro_labels.py` `encode_captions`), and their
 * HDF5 reading and writing through h5wasm (the HDF5 C library compiled to WebAssembly):
 *
 * - `labels` uint32 [M × L]: every caption's word ids, zero-padded, clipped at L = `max_length`;
 * - `label_start_ix`, `label_end_ix` uint32 [N]: 1-based, inclusive rows of image i (Lua heritage);
 * - `label_length` uint32 [M]: min(L, caption length).
 */
import fs, { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { DataFormatError, DataWriteError, writeFailureReason } from './errors.js';
import { openForReading } from './files.js';
import { createTemporaryFor } from './output-files.js';
import type { Vocabulary } from './vocabulary.js';
import type h5wasmNode from 'h5wasm/node';

/** The four datasets of `cocotalk_label.h5`, as typed arrays. */
export interface CaptionLabels {
  /** Word ids, row-major [count × seqLength], zero-padded. */
  labels: Uint32Array;
  /** Number of captions M (rows of `labels`). */
  count: number;
  /** Row width L (the `max_length` the labels were made with). */
  seqLength: number;
  /** 1-based index of each image's first caption row. */
  labelStartIx: Uint32Array;
  /** 1-based index of each image's last caption row (inclusive). */
  labelEndIx: Uint32Array;
  /** Each caption's length, min(L, number of tokens). */
  labelLength: Uint32Array;
}

/**
 * Encodes every image's captions into the reference layout (`encode_captions`): rows in image order,
 * words mapped through the vocabulary (unknown → UNK), clipped at `maxLength`.
 *
 * @param captions per image, its captions' tokens (image order = order of `cocotalk.json` images)
 * @param imageIds per image, its id, named in error messages (default: none, the image index only)
 * @throws DataFormatError when an image has no caption or a caption has no token (the reference asserts)
 */
export function encodeCaptions(
  captions: ReadonlyArray<ReadonlyArray<readonly string[]>>,
  vocabulary: Vocabulary,
  maxLength: number,
  imageIds?: ReadonlyArray<number | string | undefined>,
): CaptionLabels {
  if (!Number.isInteger(maxLength) || maxLength <= 0) {
    throw new RangeError(`encodeCaptions: maxLength must be a positive integer, got ${maxLength}`);
  }
  const n = captions.length;
  const m = captions.reduce((sum, caps) => sum + caps.length, 0);
  const labels = new Uint32Array(m * maxLength);
  const labelStartIx = new Uint32Array(n);
  const labelEndIx = new Uint32Array(n);
  const labelLength = new Uint32Array(m);
  let row = 0;
  captions.forEach((caps, i) => {
    const imageId = imageIds?.[i];
    if (caps.length === 0)
      throw new DataFormatError('image has no captions', { imageId, field: `images[${i}].sentences` });
    labelStartIx[i] = row + 1;
    caps.forEach((tokens, j) => {
      if (tokens.length === 0)
        throw new DataFormatError('a caption has no words', { imageId, field: `images[${i}].sentences[${j}].tokens` });
      vocabulary.encode(tokens, maxLength, labels.subarray(row * maxLength, (row + 1) * maxLength));
      labelLength[row] = Math.min(maxLength, tokens.length);
      row += 1;
    });
    labelEndIx[i] = row;
  });
  return { labels, count: m, seqLength: maxLength, labelStartIx, labelEndIx, labelLength };
}

/** The caption rows of image `i` as a [n × L] view of `labels` (no copy). */
export function imageLabelRows(labels: CaptionLabels, imageIndex: number): Uint32Array {
  const start = (labels.labelStartIx[imageIndex] ?? 0) - 1;
  const end = labels.labelEndIx[imageIndex] ?? 0;
  return labels.labels.subarray(start * labels.seqLength, end * labels.seqLength);
}

type H5Module = typeof h5wasmNode;
let h5Promise: Promise<H5Module> | undefined;

/** Loads the h5wasm module once (Node build: reads and writes files on disk directly). */
async function loadH5(): Promise<H5Module> {
  h5Promise ??= import('h5wasm/node').then(async (mod) => {
    await mod.default.ready;
    return mod.default;
  });
  return h5Promise;
}

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** What the start of a file says about it as HDF5: where its signature is, and the end its superblock records. */
interface Hdf5Layout {
  /** Bytes in the file. */
  size: number;
  /** Offset of the HDF5 signature (0, or after a user block of 512 × 2^k bytes); -1 when there is none. */
  signatureAt: number;
  /** The file size the superblock records (base address + end-of-file address), when it could be read. */
  recordedSize: number | undefined;
}

/**
 * Finds the HDF5 signature and reads the superblock's end-of-file address (superblock versions 0 to 3, with
 * 4- or 8-byte offsets), so that a file cut short is recognised before the HDF5 library reads it.
 */
async function hdf5Layout(path: string): Promise<Hdf5Layout> {
  const handle = await openForReading(path);
  try {
    const { size } = await handle.stat();
    const buf = new Uint8Array(96);
    for (let offset = 0; offset + 8 <= size; offset = offset === 0 ? 512 : offset * 2) {
      const { bytesRead } = await handle.read(buf, 0, buf.length, offset);
      if (!HDF5_SIGNATURE.every((b, i) => buf[i] === b)) continue;
      return { size, signatureAt: offset, recordedSize: superblockEnd(buf.subarray(0, bytesRead)) };
    }
    return { size, signatureAt: -1, recordedSize: undefined };
  } finally {
    await handle.close();
  }
}

/** Base address + end-of-file address from a superblock's first bytes, or undefined when they are not there. */
function superblockEnd(bytes: Uint8Array): number | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = bytes[8];
  let sizeOfOffsets: number | undefined;
  let base: number;
  if (version === 0 || version === 1) {
    sizeOfOffsets = bytes[13];
    base = version === 0 ? 24 : 28;
  } else if (version === 2 || version === 3) {
    sizeOfOffsets = bytes[9];
    base = 12;
  } else return undefined;
  if (sizeOfOffsets !== 4 && sizeOfOffsets !== 8) return undefined;
  const at = (i: number): number | undefined => {
    const o = base + i * sizeOfOffsets;
    if (o + sizeOfOffsets > bytes.length) return undefined;
    return sizeOfOffsets === 8 ? Number(view.getBigUint64(o, true)) : view.getUint32(o, true);
  };
  // v0/v1: base address, free-space address, end-of-file address; v2/v3: base address, extension address, end-of-file
  const baseAddress = at(0);
  const endOfFile = at(2);
  return baseAddress === undefined || endOfFile === undefined ? undefined : baseAddress + endOfFile;
}

/**
 * Runs `work` (synchronous h5wasm calls) with standard error captured: the HDF5 library reports failures by
 * printing "HDF5-DIAG" traces (dozens of lines) rather than by throwing. h5wasm's Node build writes them to file
 * descriptor 2 with `fs.writeSync`, which is what is intercepted. Returns the captured text.
 */
function captureHdf5Diagnostics<T>(work: () => T): { value: T; diagnostics: string } {
  const original = fs.writeSync;
  let diagnostics = '';
  const intercept = (fd: number, data: string | ArrayBufferView, ...rest: unknown[]): number => {
    if (fd !== 2) return (original as (...args: unknown[]) => number).call(fs, fd, data, ...rest);
    if (typeof data === 'string') {
      diagnostics += data;
      return Buffer.byteLength(data);
    }
    const offset = typeof rest[0] === 'number' ? rest[0] : 0;
    const length = typeof rest[1] === 'number' ? rest[1] : data.byteLength - offset;
    diagnostics += Buffer.from(data.buffer, data.byteOffset + offset, length).toString('utf8');
    return length;
  };
  fs.writeSync = intercept as typeof fs.writeSync;
  try {
    return { value: work(), diagnostics };
  } finally {
    fs.writeSync = original;
  }
}

/** One line from an HDF5-DIAG trace: its innermost C library error message, else its first error line. */
function summariseDiagnostics(text: string): string {
  const message = [...text.matchAll(/error message = '([^']+)'/g)].pop()?.[1];
  if (message !== undefined) return message;
  const first = /#000: .* in (\S+\(\)): (.*)/.exec(text);
  return first === null ? (text.trim().split('\n')[0] ?? 'unknown HDF5 error') : `${first[2]} (${first[1]})`;
}

const DATASETS = ['labels', 'label_start_ix', 'label_end_ix', 'label_length'] as const;

/**
 * Writes `cocotalk_label.h5` exactly in the reference layout: four contiguous little-endian uint32
 * datasets (`labels` [M × L], `label_start_ix` [N], `label_end_ix` [N], `label_length` [M]), no
 * attributes. h5py and the Python loaders read it (checked; see docs/exactness.md).
 *
 * The file is written to a temporary name beside `path`, read back (every dataset's shape, and the file's size
 * against the size its superblock records), and only then renamed to `path`: a folder that is not writable, a
 * full disk or an HDF5 failure never leaves a file under `path`. HDF5's diagnostics are captured, not printed.
 *
 * @throws DataWriteError `cannot write PATH: reason`
 */
export async function writeLabelsH5(path: string, labels: CaptionLabels): Promise<void> {
  validateLabels(labels, path);
  const h5 = await loadH5();
  const tmp = await createTemporaryFor(path);
  try {
    const shapes: Record<(typeof DATASETS)[number], { data: Uint32Array; shape: number[] }> = {
      labels: { data: labels.labels, shape: [labels.count, labels.seqLength] },
      label_start_ix: { data: labels.labelStartIx, shape: [labels.labelStartIx.length] },
      label_end_ix: { data: labels.labelEndIx, shape: [labels.labelEndIx.length] },
      label_length: { data: labels.labelLength, shape: [labels.labelLength.length] },
    };
    let failure: unknown;
    const { diagnostics } = captureHdf5Diagnostics(() => {
      try {
        const file = new h5.File(tmp, 'w');
        try {
          for (const name of DATASETS) {
            const { data, shape } = shapes[name];
            file.create_dataset({ name, data, shape, dtype: '<I' });
          }
        } finally {
          file.close();
        }
      } catch (error) {
        failure = error;
      }
    });
    if (diagnostics.includes('HDF5-DIAG') || failure !== undefined) {
      throw new DataWriteError(
        path,
        `the HDF5 library failed: ${diagnostics.includes('HDF5-DIAG') ? summariseDiagnostics(diagnostics) : writeFailureReason(failure)}`,
        { cause: failure },
      );
    }
    // read back: a write cut short (disk full) shows here, not when training starts
    let back: CaptionLabels;
    try {
      back = await readLabelsH5(tmp);
    } catch (cause) {
      throw new DataWriteError(
        path,
        `the file read back is not complete (${DataFormatError.isInstance(cause) ? cause.problem : writeFailureReason(cause)})`,
        { cause },
      );
    }
    const readShapes = {
      labels: [back.count, back.seqLength],
      label_start_ix: [back.labelStartIx.length],
      label_end_ix: [back.labelEndIx.length],
      label_length: [back.labelLength.length],
    };
    for (const name of DATASETS) {
      if (readShapes[name].join() !== shapes[name].shape.join()) {
        throw new DataWriteError(
          path,
          `dataset "${name}" reads back with shape [${readShapes[name].join(', ')}], written [${shapes[name].shape.join(', ')}]`,
        );
      }
    }
    try {
      await rename(tmp, path);
    } catch (cause) {
      throw new DataWriteError(path, writeFailureReason(cause), { cause });
    }
  } finally {
    await rm(tmp, { force: true }).catch(() => undefined);
  }
}

function toUint32(value: unknown, path: string, field: string): Uint32Array {
  if (value instanceof Uint32Array) return value;
  const ok =
    value instanceof Int32Array ||
    value instanceof Uint16Array ||
    value instanceof Int16Array ||
    value instanceof Uint8Array ||
    value instanceof Int8Array ||
    value instanceof BigInt64Array ||
    value instanceof BigUint64Array;
  if (!ok) throw new DataFormatError('expected an integer dataset', { file: path, field });
  const src = value as ArrayLike<number | bigint>;
  const out = new Uint32Array(src.length);
  for (let i = 0; i < src.length; i += 1) {
    const v = Number(src[i]);
    if (v < 0 || v > 0xffffffff)
      throw new DataFormatError(`value ${v} at index ${i} is not a uint32`, { file: path, field });
    out[i] = v;
  }
  return out;
}

/**
 * Reads a `cocotalk_label.h5` (ours, or one written by `prepro_labels.py` with h5py). Integer datasets
 * of other widths are converted to uint32; `label_length` may be absent in old files and is then
 * recomputed from the zero padding.
 *
 * @param options `validate: false` skips {@link validateLabels} (for callers that check, and report, each image
 * themselves)
 * @throws DataFormatError naming the file and the dataset: missing dataset, wrong rank or dtype,
 *   inconsistent sizes
 */
export async function readLabelsH5(path: string, options: { validate?: boolean } = {}): Promise<CaptionLabels> {
  if (!existsSync(path)) throw new DataFormatError('file not found', { file: path });
  const layout = await hdf5Layout(path);
  if (layout.signatureAt < 0) {
    throw new DataFormatError('not an HDF5 file (no HDF5 signature at offset 0, 512, 1024, ...)', { file: path });
  }
  const incomplete = (detail: string): DataFormatError =>
    new DataFormatError(`not a complete HDF5 file (${layout.size} bytes${detail}; truncated?)`, { file: path });
  if (layout.recordedSize !== undefined && layout.size < layout.recordedSize) {
    throw incomplete(`, its superblock says ${layout.recordedSize}`);
  }
  const h5 = await loadH5();
  // HDF5 reports a damaged file by printing diagnostics (then h5wasm throws a bare "name not defined"): one message
  let failure: unknown;
  const { value: out, diagnostics } = captureHdf5Diagnostics((): CaptionLabels | undefined => {
    let file: InstanceType<H5Module['File']> | undefined;
    try {
      file = new h5.File(path, 'r');
      return readLabelDatasets(h5, file, path);
    } catch (error) {
      failure = error;
      return undefined;
    } finally {
      file?.close();
    }
  });
  if (DataFormatError.isInstance(failure)) throw failure;
  if (out === undefined || diagnostics.includes('HDF5-DIAG')) {
    throw incomplete(
      diagnostics.includes('HDF5-DIAG')
        ? `: ${summariseDiagnostics(diagnostics)}`
        : `: ${failure instanceof Error ? failure.message : String(failure)}`,
    );
  }
  if (options.validate !== false) validateLabels(out, path);
  return out;
}

/** The four datasets of an open labels file (`label_length` recomputed when absent). */
function readLabelDatasets(h5: H5Module, file: InstanceType<H5Module['File']>, path: string): CaptionLabels {
  const keys = new Set(file.keys());
  const read = (name: string, rank: number): { data: Uint32Array; shape: number[] } => {
    if (!keys.has(name)) throw new DataFormatError('dataset missing', { file: path, field: name });
    const entity = file.get(name);
    if (entity === null || !(entity instanceof h5.Dataset)) {
      throw new DataFormatError('expected a dataset', { file: path, field: name });
    }
    const shape = (entity.shape ?? []).map(Number);
    if (shape.length !== rank) {
      throw new DataFormatError(`expected rank ${rank}, found shape [${shape.join(', ')}]`, {
        file: path,
        field: name,
      });
    }
    return { data: toUint32(entity.value, path, name), shape };
  };
  const lab = read('labels', 2);
  const start = read('label_start_ix', 1);
  const end = read('label_end_ix', 1);
  const [count, seqLength] = lab.shape as [number, number];
  let labelLength: Uint32Array;
  if (keys.has('label_length')) labelLength = read('label_length', 1).data;
  else {
    labelLength = new Uint32Array(count);
    for (let r = 0; r < count; r += 1) {
      let len = 0;
      while (len < seqLength && lab.data[r * seqLength + len] !== 0) len += 1;
      labelLength[r] = len;
    }
  }
  return { labels: lab.data, count, seqLength, labelStartIx: start.data, labelEndIx: end.data, labelLength };
}

/**
 * Checks the internal consistency of labels: array sizes, 1-based inclusive ranges inside `1..M`, and
 * `label_length` within `1..L`.
 *
 * @throws DataFormatError naming the file, the image index and the dataset
 */
export function validateLabels(labels: CaptionLabels, file?: string): void {
  const { count, seqLength } = labels;
  if (labels.labels.length !== count * seqLength) {
    throw new DataFormatError(`has ${labels.labels.length} values, expected ${count} × ${seqLength}`, {
      file,
      field: 'labels',
    });
  }
  if (labels.labelStartIx.length !== labels.labelEndIx.length) {
    throw new DataFormatError(
      `label_start_ix has ${labels.labelStartIx.length} entries but label_end_ix has ${labels.labelEndIx.length}`,
      { file, field: 'label_end_ix' },
    );
  }
  if (labels.labelLength.length !== count) {
    throw new DataFormatError(`has ${labels.labelLength.length} entries, expected ${count} (rows of labels)`, {
      file,
      field: 'label_length',
    });
  }
  for (let r = 0; r < count; r += 1) {
    const length = labels.labelLength[r] as number;
    if (length < 1 || length > seqLength) {
      throw new DataFormatError(`row ${r + 1}: ${length} is outside 1..${seqLength} (a caption has 1 to L words)`, {
        file,
        field: 'label_length',
      });
    }
  }
  for (let i = 0; i < labels.labelStartIx.length; i += 1) {
    const s = labels.labelStartIx[i] as number;
    const e = labels.labelEndIx[i] as number;
    if (s < 1 || s > count) {
      throw new DataFormatError(`image index ${i}: ${s} is outside 1..${count} (rows of labels)`, {
        file,
        field: 'label_start_ix',
      });
    }
    if (e < s || e > count) {
      throw new DataFormatError(`image index ${i}: ${e} is outside ${s}..${count}`, { file, field: 'label_end_ix' });
    }
  }
}

/** Names of the datasets in `cocotalk_label.h5`, in the order the reference creates them. */
export const LABEL_DATASETS: readonly string[] = DATASETS;
