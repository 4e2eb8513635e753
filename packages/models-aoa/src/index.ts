/**
 * `@caption/models-aoa`: the attention-on-attention modules and AoANet (Huang et al., ICCV 2019) on
 * TensorFlow.js, with the reference implementation's (husthuaan/AoANet) options, weight names and
 * conventions, built on `@caption/core`.
 *
 * @packageDocumentation
 */
import { registerModuleClass } from '@caption/core';
import { AdditiveAttention } from './additive-attention';
import { AoAModel } from './aoa-model';
import { AttentionOnAttention } from './attention-on-attention';
import { AoADecoderCore } from './decoder-core';
import { MultiHeadedDotAttention } from './multi-headed-dot-attention';
import { AoARefiner, AoARefinerLayer } from './refiner';

export { AoAConfigError, AoAInputError } from './errors';
export {
  AOA_MODEL_OPTIONS,
  camelCaseOptions,
  configFromReferenceOptions,
  referenceOptionName,
  resolveAoAModelConfig,
  TRAIN_SH_MODEL_OPTIONS,
  type AoAOptionMeta,
  type AoAModelConfig,
  type DecoderType,
  type ResolvedAoAModelConfig,
} from './config';
export { AttentionOnAttention, type AttentionOnAttentionConfig } from './attention-on-attention';
export { MultiHeadedDotAttention, type MultiHeadedDotAttentionConfig } from './multi-headed-dot-attention';
export { AoARefiner, AoARefinerLayer, type AoARefinerConfig, type AoARefinerLayerConfig } from './refiner';
export { AdditiveAttention, type AdditiveAttentionConfig } from './additive-attention';
export { AoADecoderCore, type AoADecoderCoreConfig, type AoADecoderState, type DecoderMemory } from './decoder-core';
export { plainStepProduct, tallGradientLookup, tallGradientProduct, type StepProduct } from './step-product';
export {
  AoAModel,
  type AoAFeatures,
  type AoAModelJSON,
  type SelfCriticalSampleOptions,
  type EncodedImages,
} from './aoa-model';
export { type ForwardOptions, type ScheduledSampling } from './training-passes';

/** This package's module classes, registered with core's `registerModuleClass` when the package is loaded. */
export const AOA_MODULE_CLASSES = [
  AttentionOnAttention,
  MultiHeadedDotAttention,
  AoARefinerLayer,
  AoARefiner,
  AdditiveAttention,
  AoADecoderCore,
  AoAModel,
] as const;

registerModuleClass(...AOA_MODULE_CLASSES);
