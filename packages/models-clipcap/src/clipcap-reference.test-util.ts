/**
 * Test helper (not exported): the ClipCap / CLIP / GPT-2 reference fixture folder, `$CLIPCAP_REFERENCE_DIR`,
 * else `<shared data>/clipcap-reference` (read through `@caption/test-support`'s shared-data helper). Tests of
 * the folder build every model from the configs in its JSON files, so another folder of the same layout with
 * other sizes is checked the same way.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { parseSafetensors, type SafetensorsFile } from '@caption/core';
import { sharedDataDir } from '@caption/test-support';
import { describe } from 'vitest';
import { stateDictFromSafetensors } from './clip/weights';

/** The reference folder: `$CLIPCAP_REFERENCE_DIR`, else `<shared data>/clipcap-reference`. */
export function clipcapReferenceDir(): string {
  const fromEnv = process.env.CLIPCAP_REFERENCE_DIR;
  return fromEnv !== undefined && fromEnv !== '' ? resolve(fromEnv) : join(sharedDataDir(), 'clipcap-reference');
}

/** A `describe` block that runs when every listed file is in `dir`, skipped with the reason in its title otherwise. */
export function describeWithFiles(title: string, files: readonly string[], body: () => void, dir: string): void {
  const missing = files.filter((f) => !existsSync(join(dir, f)));
  if (missing.length === 0) describe(title, body);
  else describe.skip(`${title} [skipped: missing in ${dir}: ${missing.join(', ')}]`, body);
}

/** A parsed safetensors fixture. */
export interface Fixture {
  /** The parsed file. */
  file: SafetensorsFile;
  /** An entry's values as float32 (ints converted), throwing when absent. */
  data(name: string): Float32Array;
  /** An entry's raw int32 values (throws unless I32). */
  ints(name: string): Int32Array;
  /** An entry's shape. */
  shape(name: string): number[];
  /** A new float32 tensor of an entry (int32 for I32 entries). */
  tensor(name: string): tf.Tensor;
  /** Every entry under `prefix` as float32 tensors, keyed without the prefix. */
  tensors(prefix: string): Map<string, tf.Tensor>;
}

/** Reads and parses `<dir>/<name>`. */
export function readFixture(dir: string, name: string): Fixture {
  const path = join(dir, name);
  const file = parseSafetensors(new Uint8Array(readFileSync(path)), path);
  const entry = (n: string) => {
    const e = file.tensors.get(n);
    if (e === undefined) throw new Error(`${path}: no tensor '${n}'`);
    return e;
  };
  return {
    file,
    data: (n) => {
      const e = entry(n);
      return e.data instanceof Float32Array ? e.data : Float32Array.from(e.data as ArrayLike<number>, Number);
    },
    ints: (n) => {
      const e = entry(n);
      if (!(e.data instanceof Int32Array)) throw new Error(`${path}: '${n}' is ${e.dtype}, expected I32`);
      return e.data;
    },
    shape: (n) => [...entry(n).shape],
    tensor: (n) => {
      const e = entry(n);
      return e.data instanceof Int32Array
        ? tf.tensor(e.data, [...e.shape], 'int32')
        : tf.tensor(Float32Array.from(e.data as ArrayLike<number>, Number), [...e.shape], 'float32');
    },
    tensors: (prefix) => stateDictFromSafetensors(file, prefix),
  };
}

/** Reads `<dir>/<name>` as JSON. */
export function readJson<T>(dir: string, name: string): T {
  return JSON.parse(readFileSync(join(dir, name), 'utf8')) as T;
}
