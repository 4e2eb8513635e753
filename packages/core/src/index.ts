/**
 * `@caption/core`: tensor layers, losses, decoding, optimisation and safe training machinery for
 * captioning models on TensorFlow.js.
 *
 * @packageDocumentation
 */
import { CORE_MODULE_CLASSES } from './nn/core-modules';
import { registerModuleClass } from './nn/registry';

export { Random, type RandomState } from './random';
export {
  parseSafetensors,
  serializeSafetensors,
  SafetensorsError,
  type SafetensorsArray,
  type SafetensorsDtype,
  type SafetensorsEntry,
  type SafetensorsFile,
} from './io/safetensors';
export {
  Module,
  defaultRandom,
  manualSeed,
  type ModuleOptions,
  type ModuleJSON,
  type StateDict,
  type StateDictInput,
  type LoadStateDictOptions,
  type LoadStateDictResult,
} from './nn/module';
export { ModuleError, StateDictError, type ShapeMismatch } from './nn/errors';
export { uniformInit, normalInit, constantInit, type Initializer } from './nn/init';
export { registerModuleClass, registeredModuleClasses, moduleFromJSON, type ModuleClass } from './nn/registry';
export { CORE_MODULE_CLASSES } from './nn/core-modules';
export {
  initBackend,
  currentBackend,
  type BackendInfo,
  type BackendKind,
  type InitBackendOptions,
  type ResolvedBackendKind,
} from './backend/init-backend';
export { BackendError, WasmMemoryError } from './backend/errors';
export {
  captionTokens,
  DecodingError,
  REFERENCE_SPECIAL_TOKENS,
  type CaptionModel,
  type DecodedSequences,
  type DecoderState,
  type DecoderStepOutput,
  type SamplingSteps,
  type SpecialTokens,
} from './decoding/caption-model';
export { argMax, drawCategorical } from './decoding/categorical';
export {
  sampleWithLogprobs,
  type DifferentiableSampleOptions,
  type DifferentiableSamples,
} from './decoding/differentiable-sampling';
export {
  DECODING_BAD_ENDINGS,
  TRIM_BAD_ENDINGS,
  tokenIdsOf,
  trimBadEndings,
  type RowConstraintOptions,
  type TrigramBlocking,
} from './decoding/constraints';
export { greedyDecode, sampleDecode, type SampleOptions, type SequentialDecodeOptions } from './decoding/sequential';
export {
  beamSearch,
  parseLengthPenalty,
  applyLengthPenalty,
  type BeamHypothesis,
  type BeamSearchOptions,
  type BeamSearchResult,
  type LengthPenalty,
} from './decoding/beam-search';
export { EnsembleCaptionModel } from './decoding/ensemble';
export {
  Adam,
  AdamW,
  OptimizerError,
  type AdamOptions,
  type AdamState,
  type NamedGradients,
  type NamedParameters,
} from './optim/adam';
export { computeGradients, clipGradientsByValue, clipGradientsByNorm } from './optim/gradients';
export {
  stepDecayLearningRate,
  noamLearningRate,
  linearWarmupLearningRate,
  scheduledSamplingProbability,
  ReduceLROnPlateau,
  type StepDecayOptions,
  type NoamOptions,
  type LinearWarmupOptions,
  type ScheduledSamplingOptions,
  type ReduceLROnPlateauOptions,
  type ReduceLROnPlateauState,
} from './optim/schedules';
export { type JsonValue, type Stateful } from './training/json';
export { CheckpointError, NonFiniteLossError, TensorLeakError, type NonFiniteLossDetails } from './training/errors';
export { writeFileAtomic, writeFileDurable, fsyncDirectory } from './training/atomic-file';
export {
  CheckpointStore,
  CHECKPOINT_FILES,
  readCheckpoint,
  tensorsToSafetensors,
  safetensorsToTensors,
  type CheckpointPointer,
  type CheckpointStoreOptions,
  type LoadedCheckpoint,
  type SavedTensor,
  type TrainingState,
} from './training/checkpoint';
export { GracefulStop, type GracefulStopOptions, signalExitCode } from './training/signals';
export {
  TrainingProgress,
  type ProgressMode,
  type ProgressOptions,
  type ProgressStream,
  type StepReport,
} from './training/progress';
export {
  trainLoop,
  modelWeights,
  loadModelWeights,
  loadOptimizerState,
  type BatchSource,
  type EpochEndResult,
  type StepContext,
  type StepInfo,
  type TrainableModel,
  type TrainingBatch,
  type TrainLoopOptions,
  type TrainLoopResult,
} from './training/train-loop';
export { sparseSoftmaxCrossEntropy } from './backend/ops/sparse-softmax-cross-entropy';
export { labelSmoothingCrossEntropy } from './backend/ops/label-smoothing-cross-entropy';
export { layerNorm, type LayerNormOptions } from './backend/ops/layer-norm';
export { Linear, type LinearConfig } from './nn/linear';
export { Embedding, gatherRows, type EmbeddingConfig } from './nn/embedding';
export { LayerNorm, sqrtWithZeroGradientAtZero, type LayerNormConfig, type LayerNormVariant } from './nn/layer-norm';
export { Dropout, type DropoutConfig } from './nn/dropout';
export {
  Activation,
  activation,
  GLU,
  glu,
  type ActivationConfig,
  type ActivationName,
  type GLUConfig,
} from './nn/activation';
export { LSTMCell, lstmGates, type LSTMCellConfig, type LSTMState } from './nn/lstm-cell';
export { MultiHeadAttention, type AttentionHeads, type MultiHeadAttentionConfig } from './nn/multi-head-attention';
export { PositionwiseFeedForward, type PositionwiseFeedForwardConfig } from './nn/feed-forward';
export { SublayerConnection, type SublayerConnectionConfig } from './nn/sublayer-connection';
export { ModuleList, Sequential, type ModuleListConfig, type UnaryModule } from './nn/containers';
export {
  checkGradients,
  type GradientCheckEntry,
  type GradientCheckOptions,
  type GradientCheckOutput,
  type GradientCheckReport,
} from './nn/gradient-check';
export { LossInputError } from './losses/errors';
export { sequenceCrossEntropy, labelSmoothingLoss, tokenLogprobs } from './losses/sequence-losses';
export {
  selfCriticalLoss,
  greedyBaselineAdvantages,
  meanOfOthersAdvantages,
  greedyBaselineRewards,
  selfCriticalStep,
  type CaptionReward,
  type SelfCriticalStepOptions,
  type SelfCriticalStepResult,
} from './losses/self-critical';
export { SharedTable, SharedTensor, SharedWeight } from './backend/ops/shared-across-steps';
export { adamUpdate, type AdamUpdateOptions, type AdamUpdateResult } from './backend/ops/adam-update';
export {
  WASM_HEAP_LIMIT_BYTES,
  checkCaptionerStepMemory,
  checkWasmMemory,
  estimateCaptionerStepBytes,
  wasmMemoryStatus,
  type CaptionerStepShape,
  type StepMemoryEstimate,
  type WasmMemoryRequest,
  type WasmMemoryStatus,
} from './backend/memory';

registerModuleClass(...CORE_MODULE_CLASSES);
