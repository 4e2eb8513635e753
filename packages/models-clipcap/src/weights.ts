/**
 * Loading weights files (safetensors, as PyTorch / Hugging Face write them) into modules with a name map, and
 * reporting every tensor that does not fit: the one place this package turns a file's names and dtypes into a
 * state dict. Float16, bfloat16 and float64 tensors are converted to float32; integer tensors only into buffers
 * (non-trainable parameters such as BatchNorm's `num_batches_tracked`). A one-element `[1]` tensor fits a scalar
 * parameter (writers that cannot store 0-d tensors store `logit_scale` that way).
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import {
  type Module,
  parseSafetensors,
  type SafetensorsEntry,
  type SafetensorsFile,
  type ShapeMismatch,
} from '@caption/core';

/**
 * Where a file's tensor goes: a parameter name of the module, `null` to skip it (a buffer such as GPT-2's causal
 * mask `attn.bias`), or `{ tiedTo }` for a copy of a tied parameter (`lm_head.weight` of `transformer.wte.weight`),
 * accepted when its values equal that parameter's in the file.
 */
export type WeightTarget = string | null | { tiedTo: string };

function listNames(names: readonly string[], max = 20): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')}, … (${names.length} in all)`;
}

/**
 * A weights file (safetensors) whose tensors do not fit the model built from its config: names the model lacks,
 * weights the file lacks, shapes that differ, unsupported dtypes, or a `lm_head.weight` that is not a copy of the
 * tied input embedding. Nothing is loaded when it is thrown. The message names the file and lists the tensors.
 */
export class WeightsFileError extends Error {
  /** The file (or the source name given for bytes). */
  readonly file: string;
  /** Parameter names of the model that the file lacks. */
  readonly missing: string[];
  /** Tensor names in the file that the model has no parameter for. */
  readonly unexpected: string[];
  /** Names present on both sides with different shapes. */
  readonly mismatched: ShapeMismatch[];

  /**
   * @param file the file (or source name)
   * @param details the three lists, and `problem` for anything else (dtype, tied head)
   */
  constructor(
    file: string,
    details: { missing?: string[]; unexpected?: string[]; mismatched?: ShapeMismatch[]; problem?: string },
  ) {
    const missing = details.missing ?? [];
    const unexpected = details.unexpected ?? [];
    const mismatched = details.mismatched ?? [];
    const parts: string[] = [];
    if (details.problem !== undefined) parts.push(details.problem);
    if (missing.length > 0) parts.push(`missing weights: ${listNames(missing)}`);
    if (unexpected.length > 0) parts.push(`unexpected weights: ${listNames(unexpected)}`);
    if (mismatched.length > 0) {
      parts.push(
        `shape mismatch: ${listNames(
          mismatched.map((m) => `${m.name} expected [${m.expected.join(', ')}] got [${m.actual.join(', ')}]`),
        )}`,
      );
    }
    super(`${file}: weights do not fit the model: ${parts.join('; ')}`);
    this.name = 'WeightsFileError';
    this.file = file;
    this.missing = missing;
    this.unexpected = unexpected;
    this.mismatched = mismatched;
  }
}

/** Reads and parses a safetensors file (a typed error naming the file when it is not one). */
export function readSafetensorsFile(path: string): SafetensorsFile {
  return parseSafetensors(new Uint8Array(readFileSync(path)), path);
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : Number.NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** The float32 values of a float tensor (F32 as is; F16, BF16, F64 converted), or null for an integer dtype. */
function floatValues(entry: SafetensorsEntry): Float32Array | null {
  const { dtype, data } = entry;
  if (dtype === 'F32') return data as Float32Array;
  if (dtype === 'F64') return Float32Array.from(data as Float64Array);
  if (dtype === 'F16') return Float32Array.from(data as Uint16Array, halfToFloat);
  if (dtype === 'BF16') return new Float32Array(Uint32Array.from(data as Uint16Array, (v) => v << 16).buffer);
  return null;
}

/** The values of an integer tensor as float32 (for counters loaded into buffers), or null for a non-integer dtype. */
function integerValues(entry: SafetensorsEntry): Float32Array | null {
  return /^[IU]\d+$/.test(entry.dtype) ? Float32Array.from(entry.data as ArrayLike<number | bigint>, Number) : null;
}

/** Equal shapes, or a one-element `[1]` tensor for a scalar parameter. */
function fits(given: readonly number[], parameter: readonly number[]): boolean {
  return given.join(',') === parameter.join(',') || (parameter.length === 0 && given.length === 1 && given[0] === 1);
}

function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Loads the tensors of `file` into `module` after mapping each name with `target`. Everything is checked before
 * anything is written: names the module lacks, parameters the file lacks, shape mismatches, non-float dtypes and
 * tied copies that differ are all listed in one {@link WeightsFileError} naming `source`.
 *
 * @param module the module to fill (every parameter of its `stateDict()` must be provided)
 * @param file a parsed safetensors file
 * @param source the file name, for messages
 * @param target maps a file name to a parameter name (see {@link WeightTarget}); default: the name itself
 * @returns the file names that were skipped (mapped to null) or accepted as tied copies
 */
export function loadWeightsInto(
  module: Module,
  file: SafetensorsFile,
  source: string,
  target: (name: string) => WeightTarget = (name) => name,
): { skipped: string[]; tied: string[] } {
  const expected = module.stateDict();
  const values = new Map<string, { name: string; data: Float32Array; shape: number[] }>();
  const skipped: string[] = [];
  const tiedCopies: Array<{ name: string; to: string; data: Float32Array | null; shape: number[] }> = [];
  const unexpected: string[] = [];
  const problems: string[] = [];
  for (const [name, entry] of file.tensors) {
    const to = target(name);
    if (to === null) {
      skipped.push(name);
      continue;
    }
    const buffer =
      typeof to === 'string' && expected.get(to) !== undefined && !(expected.get(to) as tf.Variable).trainable;
    const data = floatValues(entry) ?? (buffer ? integerValues(entry) : null);
    if (typeof to === 'object') {
      tiedCopies.push({ name, to: to.tiedTo, data, shape: entry.shape });
      continue;
    }
    if (data === null) {
      problems.push(`tensor '${name}' has dtype ${entry.dtype}, not a float type`);
      continue;
    }
    if (!expected.has(to)) unexpected.push(name);
    else if (values.has(to)) problems.push(`'${name}' and '${values.get(to)!.name}' both map to parameter '${to}'`);
    else values.set(to, { name, data, shape: entry.shape });
  }
  for (const copy of tiedCopies) {
    const canonical = values.get(copy.to);
    if (canonical === undefined) {
      if (copy.data !== null && expected.has(copy.to))
        values.set(copy.to, { name: copy.name, data: copy.data, shape: copy.shape });
      else unexpected.push(copy.name);
    } else if (
      copy.data === null ||
      copy.shape.join(',') !== canonical.shape.join(',') ||
      !sameValues(copy.data, canonical.data)
    ) {
      problems.push(`'${copy.name}' differs from '${canonical.name}', but the model ties them (one weight)`);
    }
  }
  const missing: string[] = [];
  const mismatched: ShapeMismatch[] = [];
  for (const [name, parameter] of expected) {
    const given = values.get(name);
    if (given === undefined) missing.push(name);
    else if (!fits(given.shape, parameter.shape)) {
      mismatched.push({ name, expected: [...parameter.shape], actual: [...given.shape] });
    }
  }
  if (missing.length + unexpected.length + mismatched.length + problems.length > 0) {
    const details: ConstructorParameters<typeof WeightsFileError>[1] = { missing, unexpected, mismatched };
    if (problems.length > 0) details.problem = problems.join('; ');
    throw new WeightsFileError(source, details);
  }
  const tensors = new Map<string, tf.Tensor>();
  try {
    for (const [name, v] of values) tensors.set(name, tf.tensor(v.data, expected.get(name)!.shape, 'float32'));
    module.loadStateDict(tensors);
  } finally {
    tf.dispose([...tensors.values()]);
  }
  return { skipped, tied: tiedCopies.map((c) => c.name) };
}
