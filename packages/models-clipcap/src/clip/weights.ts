/**
 * OpenAI CLIP checkpoints (converted to safetensors) into CLIP models and image encoders, through the package's one
 * weights loader (`loadWeightsInto`): fp16 weights become float32, the int64 BatchNorm counters load into their
 * buffers, OpenAI's non-weight keys are skipped, and a file whose names or shapes do not fit the config is a
 * `WeightsFileError` listing every offending tensor.
 */
import type { Module, SafetensorsFile } from '@caption/core';
import { loadWeightsInto, readSafetensorsFile } from '../weights';

/** Keys of OpenAI's CLIP checkpoints that are not weights (`build_model` deletes them). */
const OPENAI_NON_WEIGHTS = new Set(['input_resolution', 'context_length', 'vocab_size']);

/** Options of {@link loadClipWeights}. */
export interface LoadClipWeightsOptions {
  /** Only tensors whose names start with it are loaded, with it removed (e.g. `'vit/'`); others are skipped. */
  prefix?: string;
  /** The file name for messages (default: the path, or `<safetensors>`). */
  source?: string;
}

/**
 * Loads CLIP weights with OpenAI's state-dict names (`visual.*`, `transformer.*`, `token_embedding.weight`, …, or an
 * image encoder's own names) into `model`; nothing is loaded when anything does not fit.
 *
 * @param file a parsed safetensors file, or a path to read
 * @throws {WeightsFileError} naming the file and listing every missing, unexpected and mis-shaped weight
 * @example
 * ```ts
 * const clip = new ClipModel(CLIP_VIT_B_32);
 * loadClipWeights(clip, 'ViT-B-32.safetensors');
 * ```
 */
export function loadClipWeights(
  model: Module,
  file: SafetensorsFile | string,
  options: LoadClipWeightsOptions = {},
): void {
  const parsed = typeof file === 'string' ? readSafetensorsFile(file) : file;
  const source = options.source ?? (typeof file === 'string' ? file : '<safetensors>');
  const prefix = options.prefix ?? '';
  loadWeightsInto(model, parsed, source, (name) => {
    if (!name.startsWith(prefix)) return null;
    const bare = name.slice(prefix.length);
    return OPENAI_NON_WEIGHTS.has(bare) ? null : bare;
  });
}
