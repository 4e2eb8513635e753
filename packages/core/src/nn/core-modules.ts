/** The core layers, registered with {@link registerModuleClass} by the package entry (`index.ts`). */
import { Activation, GLU } from './activation';
import { ModuleList, Sequential } from './containers';
import { Dropout } from './dropout';
import { Embedding } from './embedding';
import { PositionwiseFeedForward } from './feed-forward';
import { LayerNorm } from './layer-norm';
import { Linear } from './linear';
import { LSTMCell } from './lstm-cell';
import { MultiHeadAttention } from './multi-head-attention';
import { type ModuleClass } from './registry';
import { SublayerConnection } from './sublayer-connection';

/** Every layer class of `@caption/core`, in the order `registeredModuleClasses()` lists them. */
export const CORE_MODULE_CLASSES: readonly ModuleClass[] = [
  Linear,
  Embedding,
  LayerNorm,
  Dropout,
  Activation,
  GLU,
  LSTMCell,
  MultiHeadAttention,
  PositionwiseFeedForward,
  SublayerConnection,
  ModuleList,
  Sequential,
];
