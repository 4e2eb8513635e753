/** Test helpers (not exported): safetensors entries of a reference folder as tf tensors and float arrays. */
import * as tf from '@tensorflow/tfjs-core';
import type { SafetensorsEntry } from '@caption/core';

/** A new tensor of an entry: int32 for I32 entries, float32 otherwise (other integers converted). */
export function entryTensor(entry: SafetensorsEntry): tf.Tensor {
  if (entry.dtype === 'I32') return tf.tensor(entry.data as Int32Array, entry.shape, 'int32');
  return tf.tensor(entryFloats(entry), entry.shape, 'float32');
}

/** An entry's values as float32 (F32 as stored, integers converted). */
export function entryFloats(entry: SafetensorsEntry): Float32Array {
  return entry.data instanceof Float32Array ? entry.data : Float32Array.from(entry.data as ArrayLike<number>, Number);
}
