/**
 * `@caption/models-clipcap`: CLIP (image encoders, CLIP or GPT-2 text encoder, contrastive loss) and the CLIP+GPT
 * prefix captioner (ClipCap), with the reference implementations' weight names, on `@caption/core`.
 *
 * @packageDocumentation
 */
import { registerModuleClass, type ModuleClass } from '@caption/core';
import { ClipCapModel } from './clipcap/captioner';
import {
  ClipCapMLPMapper,
  ClipCapMlpTransformer,
  ClipCapMultiHeadAttention,
  ClipCapTransformer,
  ClipCapTransformerLayer,
  ClipCapTransformerMapper,
} from './clipcap/mappers';
import { GPT2Attention, GPT2Block, GPT2Conv1D, GPT2LMHeadModel, GPT2MLP, GPT2Model } from './gpt2/gpt2';
import { CLIP_MODULE_CLASSES } from './clip/module-classes';

export {
  GPT2_SMALL_CONFIG,
  gpt2ConfigFromHuggingFace,
  resolveGPT2Config,
  type GPT2Activation,
  type GPT2Config,
  type ResolvedGPT2Config,
} from './gpt2/config';
export { GPT2ConfigError, GPT2InputError } from './gpt2/errors';
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
export { loadWeightsInto, readSafetensorsFile, WeightsFileError, type WeightTarget } from './weights';
export { ClipCapConfigError, ClipCapInputError } from './clipcap/errors';
export {
  ClipCapMLPMapper,
  ClipCapMlpTransformer,
  ClipCapMultiHeadAttention,
  ClipCapTransformer,
  ClipCapTransformerLayer,
  ClipCapTransformerMapper,
  type ClipCapMLPMapperConfig,
  type ClipCapTransformerConfig,
  type ClipCapTransformerLayerConfig,
  type ClipCapTransformerMapperConfig,
  type PrefixMapper,
} from './clipcap/mappers';
export {
  CAPTION_PADDING,
  ClipCapModel,
  clipCapMaxSequenceLength,
  copyGPT2,
  loadClipCapWeights,
  padCaptions,
  resolveClipCapConfig,
  type ClipCapConfig,
  type ClipCapLossOptions,
  type ClipCapModelOptions,
  type MappingType,
  type ResolvedClipCapConfig,
} from './clipcap/captioner';
export {
  assertTokenizerFitsModel,
  encodeCaptions,
  TokenizerVocabularyError,
  type EncodeCaptionsOptions,
  type TextTokenizer,
} from './tokenizers/text-tokenizer';
export { GPT2BPETokenizer } from './tokenizers/gpt2-bpe';
export { BertWordPieceTokenizer, type BertWordPieceOptions } from './tokenizers/bert-chinese';
export { JiebaWordTokenizer, type JiebaVocabularyOptions, type JiebaWordOptions } from './tokenizers/jieba-words';
export { ClipCapDecoder, PREFIX_SLOT_TOKEN, type ClipCapDecoderOptions } from './generation/decoder';
export {
  generateBeam,
  generateGreedy,
  generateTopP,
  type BeamCaption,
  type GenerateBeamOptions,
  type GenerateOptions,
  type GenerateTopPOptions,
} from './generation/generate';

export { ClipConfigError, ClipInputError, ImageDecodeError } from './clip/errors';
export {
  Conv2d,
  BatchNorm2d,
  avgPool,
  avgPoolPadded,
  maxPoolPadded,
  nchwToNhwc,
  type Conv2dConfig,
  type BatchNorm2dConfig,
} from './clip/conv';
export {
  ClipMultiheadAttention,
  ClipMlp,
  ResidualAttentionBlock,
  ClipTransformer,
  causalMask,
  quickGelu,
  scaledDotProductAttention,
  type ClipMultiheadAttentionConfig,
  type ClipTransformerConfig,
} from './clip/transformer';
export { VisionTransformer, PatchWeight, type VisionTransformerConfig } from './clip/vision-transformer';
export {
  ModifiedResNet,
  ClipBottleneck,
  AttentionPool2d,
  DownsampleBranch,
  type ModifiedResNetConfig,
  type ClipBottleneckConfig,
  type AttentionPool2dConfig,
  type DownsampleBranchConfig,
} from './clip/modified-resnet';
export { Res2NeXt, Bottle2neckX, RES2NEXT50, type Res2NeXtConfig, type Bottle2neckXConfig } from './clip/res2next';
export {
  ClipModel,
  MlpProjectionHead,
  CLIP_VIT_B_32,
  clipConfigFromOpenAI,
  clipContrastiveLoss,
  clipLogits,
  l2Normalize,
  type ClipModelConfig,
  type ClipVisionConfig,
  type ClipVitConfig,
  type ClipResNetConfig,
  type ClipRes2NeXtConfig,
  type ClipTextConfig,
  type ClipTextTransformerConfig,
  type ClipGPT2TextConfig,
  type ClipProjection,
  type ClipOutputs,
  type ClipTextEncoder,
} from './clip/clip-model';
export { loadClipWeights, type LoadClipWeightsOptions } from './clip/weights';
export { ClipTokenizer, TokenizerError, type ClipTokenizeOptions } from './tokenizers/clip-bpe';
export { fixText, fixEncoding, htmlUnescape } from './tokenizers/fix-text';
export {
  CLIP_MEAN,
  CLIP_STD,
  centerCrop,
  clipPreprocess,
  preprocessImageFiles,
  resizeBicubic,
  shortSideSize,
  type ClipPreprocessOptions,
  type ImageDecoder,
  type RgbPixels,
} from './image/clip-preprocess';

/** This package's module classes, registered with core's `registerModuleClass` when the package is loaded. */
export const CLIPCAP_MODULE_CLASSES: readonly ModuleClass[] = [
  GPT2Conv1D,
  GPT2Attention,
  GPT2MLP,
  GPT2Block,
  GPT2Model,
  GPT2LMHeadModel,
  ClipCapMLPMapper,
  ClipCapMultiHeadAttention,
  ClipCapMlpTransformer,
  ClipCapTransformerLayer,
  ClipCapTransformer,
  ClipCapTransformerMapper,
  ClipCapModel,
  ...CLIP_MODULE_CLASSES,
];

registerModuleClass(...CLIPCAP_MODULE_CLASSES);
