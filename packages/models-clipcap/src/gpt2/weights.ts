/**
 * Hugging Face GPT-2 checkpoints (`model.safetensors` of `GPT2LMHeadModel` or `GPT2Model`) into this package's
 * GPT-2 modules: names with or without the `transformer.` prefix, the tied `lm_head.weight` absent or an equal
 * copy, the causal-mask buffers (`attn.bias`, `attn.masked_bias`) skipped.
 */
import type { SafetensorsFile } from '@caption/core';
import { loadWeightsInto, readSafetensorsFile, type WeightTarget } from '../weights';
import { GPT2LMHeadModel, type GPT2Model } from './gpt2';

const BODY = /^(wte|wpe|h|ln_f|drop)\./;
const MASK_BUFFER = /(^|\.)h\.\d+\.attn\.(bias|masked_bias)$/;

/**
 * Where a Hugging Face GPT-2 tensor name goes in a module whose GPT-2 body lives at `bodyPrefix` (`'transformer.'`
 * for {@link GPT2LMHeadModel}, `''` for {@link GPT2Model}, `'gpt.transformer.'` inside a ClipCap captioner).
 * Returns undefined for a name that is not GPT-2's.
 */
export function gpt2WeightTarget(name: string, bodyPrefix: string): WeightTarget | undefined {
  if (MASK_BUFFER.test(name)) return null;
  if (name === 'lm_head.weight') return { tiedTo: `${bodyPrefix}wte.weight` };
  const bare = name.startsWith('transformer.') ? name.slice('transformer.'.length) : name;
  if (BODY.test(bare)) return `${bodyPrefix}${bare}`;
  return undefined;
}

/**
 * Loads Hugging Face GPT-2 weights (`GPT2LMHeadModel.state_dict()` names, or `GPT2Model`'s without the
 * `transformer.` prefix) into a model built from the matching config.
 *
 * @param model the GPT-2 to fill
 * @param file a parsed safetensors file, or a path to read
 * @param source the file name for messages (default: the path)
 * @throws {WeightsFileError} listing every name or shape that does not fit, a non-float tensor, or a
 *   `lm_head.weight` that is not a copy of `wte.weight`; nothing is loaded then
 * @example
 * ```ts
 * const gpt = new GPT2LMHeadModel(gpt2ConfigFromHuggingFace(JSON.parse(readFileSync('gpt2/config.json', 'utf8'))));
 * loadGPT2Weights(gpt, 'gpt2/model.safetensors');
 * ```
 */
export function loadGPT2Weights(
  model: GPT2LMHeadModel | GPT2Model,
  file: SafetensorsFile | string,
  source?: string,
): void {
  const parsed = typeof file === 'string' ? readSafetensorsFile(file) : file;
  const name = source ?? (typeof file === 'string' ? file : '<safetensors>');
  const prefix = model instanceof GPT2LMHeadModel ? 'transformer.' : '';
  loadWeightsInto(model, parsed, name, (n) => {
    const target = gpt2WeightTarget(n, prefix);
    return target === undefined ? n : target;
  });
}
