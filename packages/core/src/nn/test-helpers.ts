/**
 * Helpers shared by the nn and losses tests (not exported from the package).
 *
 * The cpu backend is imported so that the tests run stand-alone; when the package's vitest setup file
 * selects another backend (wasm) first, `tf.ready()` keeps that one.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { parseSafetensors, type SafetensorsFile } from '../io/safetensors';
import { type Random } from '../random';

/** Waits for the active backend (cpu unless the setup file chose another). */
export async function readyBackend(): Promise<void> {
  await tf.ready();
}

/** A tensor of uniform values in [-scale, scale) from a seeded generator. */
export function randomTensor(shape: number[], rng: Random, scale = 1): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = (2 * rng.next() - 1) * scale;
  return tf.tensor(values, shape, 'float32');
}

/** A reference fixture file with typed accessors that create tensors on demand. */
export interface Fixture {
  file: SafetensorsFile;
  /** Raw data of one entry (throws when absent). */
  data(name: string): Float32Array | Int32Array;
  /** A new tensor for one entry (float32 or int32 as stored). */
  tensor(name: string): tf.Tensor;
  /** Names starting with `prefix`, prefix removed (e.g. the weights of one case). */
  names(prefix: string): string[];
}

/** Parses a safetensors fixture. */
export function loadFixture(bytes: Uint8Array, source: string): Fixture {
  const file = parseSafetensors(bytes, source);
  const entry = (name: string) => {
    const e = file.tensors.get(name);
    if (e === undefined) throw new Error(`${source}: no tensor '${name}'`);
    if (!(e.data instanceof Float32Array) && !(e.data instanceof Int32Array)) {
      throw new Error(`${source}: tensor '${name}' has dtype ${e.dtype}; only F32/I32 are used in the fixtures`);
    }
    return { shape: e.shape, data: e.data };
  };
  return {
    file,
    data: (name) => entry(name).data,
    tensor: (name) => {
      const e = entry(name);
      return tf.tensor(e.data, e.shape, e.data instanceof Int32Array ? 'int32' : 'float32');
    },
    names: (prefix) => [...file.tensors.keys()].filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length)),
  };
}
