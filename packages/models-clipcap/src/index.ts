/**
 * `@caption/models-clipcap`: CLIP (image encoders, CLIP or GPT-2 text encoder, contrastive loss) and the CLIP+GPT
 * prefix captioner (ClipCap), with the reference implementations' weight names, on `@caption/core`.
 *
 * @packageDocumentation
 */
import { registerModuleClass, type ModuleClass } from '@caption/core';
import { GPT2Attention, GPT2Block, GPT2Conv1D, GPT2LMHeadModel, GPT2MLP, GPT2Model } from './gpt2/gpt2';

export {
  GPT2_SMALL_CONFIG,
  gpt2ConfigFromHuggingFace,
  resolveGPT2Config,
  type GPT2Activation,
  type GPT2Config,
  type ResolvedGPT2Config,
} from './gpt2/config';
export { GPT2ConfigError, GPT2InputError, WeightsFileError } from './gpt2/errors';
export {
  GPT2Attention,
  GPT2Block,
  GPT2Conv1D,
  GPT2LMHeadModel,
  GPT2MLP,
  GPT2Model,
  type GPT2Conv1DConfig,
  type GPT2ForwardInput,
  type GPT2LayerCache,
  type GPT2LMHeadModelOptions,
  type GPT2LMOutput,
  type GPT2ModelOutput,
} from './gpt2/gpt2';
export { gpt2WeightTarget, loadGPT2Weights } from './gpt2/weights';
export { loadWeightsInto, readSafetensorsFile, type WeightTarget } from './weights';

/** This package's module classes, registered with core's `registerModuleClass` when the package is loaded. */
export const CLIPCAP_MODULE_CLASSES: readonly ModuleClass[] = [
  GPT2Conv1D,
  GPT2Attention,
  GPT2MLP,
  GPT2Block,
  GPT2Model,
  GPT2LMHeadModel,
];

registerModuleClass(...CLIPCAP_MODULE_CLASSES);
