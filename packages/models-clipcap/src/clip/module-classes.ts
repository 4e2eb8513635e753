/** The CLIP side's module classes, for the package's one registration list (`CLIPCAP_MODULE_CLASSES` in index.ts). */
import type { ModuleClass } from '@caption/core';
import { ClipModel, MlpProjectionHead } from './clip-model';
import { BatchNorm2d, Conv2d } from './conv';
import { AttentionPool2d, ClipBottleneck, DownsampleBranch, ModifiedResNet } from './modified-resnet';
import { Bottle2neckX, Res2NeXt } from './res2next';
import { ClipMlp, ClipMultiheadAttention, ClipTransformer, ResidualAttentionBlock } from './transformer';
import { PatchWeight, VisionTransformer } from './vision-transformer';

/** Every CLIP module class (image encoders, transformer pieces, the model). */
export const CLIP_MODULE_CLASSES: readonly ModuleClass[] = [
  Conv2d,
  BatchNorm2d,
  ClipMultiheadAttention,
  ClipMlp,
  ResidualAttentionBlock,
  ClipTransformer,
  PatchWeight,
  VisionTransformer,
  ClipBottleneck,
  DownsampleBranch,
  AttentionPool2d,
  ModifiedResNet,
  Bottle2neckX,
  Res2NeXt,
  MlpProjectionHead,
  ClipModel,
];
