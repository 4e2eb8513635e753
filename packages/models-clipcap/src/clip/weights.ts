/**
 * Loading PyTorch state dicts (safetensors) into CLIP models: every floating-point dtype (OpenAI's
 * checkpoints store fp16) and the int64 BatchNorm counters become float32 tensors; a file whose names or
 * shapes do not fit the model's config is a {@link ClipWeightsError} listing every offending weight.
 */
import * as tf from '@tensorflow/tfjs-core';
import { StateDictError, type Module, type SafetensorsEntry, type SafetensorsFile } from '@caption/core';
import { ClipWeightsError } from './errors';

/** Keys of OpenAI's CLIP checkpoints that are not weights (`build_model` deletes them). */
const OPENAI_NON_WEIGHTS = new Set(['input_resolution', 'context_length', 'vocab_size']);

function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : Number.NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function toFloat32(data: SafetensorsEntry): Float32Array {
  const { dtype } = data;
  const values = data.data;
  if (values instanceof Float32Array) return values;
  const out = new Float32Array(values.length);
  if (dtype === 'F16') {
    for (let i = 0; i < out.length; i++) out[i] = halfToFloat(values[i] as number);
  } else if (dtype === 'BF16') {
    const view = new Uint32Array(1);
    const asFloat = new Float32Array(view.buffer);
    for (let i = 0; i < out.length; i++) {
      view[0] = (values[i] as number) << 16;
      out[i] = asFloat[0] as number;
    }
  } else {
    for (let i = 0; i < out.length; i++) out[i] = Number(values[i]);
  }
  return out;
}

/**
 * The tensors of a parsed safetensors file whose names start with `prefix` (removed from the names), as
 * float32 tensors: F16 / BF16 / F64 are converted (OpenAI's fp16 weights), integer counters too. The caller
 * owns (disposes) the tensors.
 *
 * @param file the parsed file (`parseSafetensors`)
 * @param prefix only names starting with it, with it removed (default: all names)
 */
export function stateDictFromSafetensors(file: SafetensorsFile, prefix = ''): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const [name, entry] of file.tensors) {
    if (!name.startsWith(prefix)) continue;
    out.set(name.slice(prefix.length), tf.tensor(toFloat32(entry), [...entry.shape], 'float32'));
  }
  return out;
}

/**
 * Loads a PyTorch state dict into `model` (all or nothing), ignoring OpenAI's non-weight keys
 * (`input_resolution`, `context_length`, `vocab_size`). A one-element `[1]` tensor fits a scalar weight
 * (`logit_scale`, `num_batches_tracked`): some safetensors writers store 0-d tensors that way.
 *
 * @param source the file name, for the error message
 * @throws {ClipWeightsError} naming `source` and listing every missing, unexpected and mis-shaped weight
 */
export function loadClipWeights(model: Module, stateDict: ReadonlyMap<string, tf.Tensor>, source: string): void {
  const scalars = new Set(
    model
      .namedParameters()
      .filter(([, v]) => v.rank === 0)
      .map(([n]) => n),
  );
  const reshaped: tf.Tensor[] = [];
  const weights = new Map<string, tf.Tensor>();
  for (const [name, value] of stateDict) {
    if (OPENAI_NON_WEIGHTS.has(name)) continue;
    if (scalars.has(name) && value.rank === 1 && value.size === 1) {
      const scalar = tf.reshape(value, []);
      reshaped.push(scalar);
      weights.set(name, scalar);
    } else weights.set(name, value);
  }
  try {
    model.loadStateDict(weights);
  } catch (error) {
    if (error instanceof StateDictError) {
      throw new ClipWeightsError(source, model.className, error.missing, error.unexpected, error.mismatched);
    }
    throw error;
  } finally {
    tf.dispose(reshaped);
  }
}
