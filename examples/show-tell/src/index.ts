/**
 * `@caption/example-show-tell`: ImageCaptioning.pytorch's `ShowTellModel` on `@caption/core` layers, and
 * its entry (`captionModel: show_tell`) for the shared training driver, evaluation and report.
 *
 * @packageDocumentation
 */
export { ShowTellModel, type ShowTellConfig } from './show-tell-model';
export { showTellFactory } from './factory';
export { loadImageBackbone, parseBackboneSpec, type BackboneSpec, type ImageBackbone } from './end-to-end/backbone';
export { EndToEndError } from './end-to-end/errors';
export {
  endToEndVocabulary,
  ImageCaptionBatches,
  type ImageCaptionBatch,
  type ImageCaptionState,
  type TransformOptions,
} from './end-to-end/data';
export {
  checkpointPaths,
  lastEpoch,
  loadCaptioner,
  resolveCheckpoint,
  saveEpochCheckpoint,
  type EncoderInfo,
  type LoadedCaptioner,
} from './end-to-end/checkpoints';
export { runEndToEndTraining, type EndToEndTrainOptions, type EndToEndTrainResult } from './end-to-end/train';
export { captionImageFile, captionPixels, evaluateSplit, type EndToEndEvalOptions } from './end-to-end/evaluate';
export { createEndToEndProgram, runEndToEndCli } from './end-to-end/cli';
