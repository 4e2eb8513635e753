/**
 * `@caption/example-image-features`: image features as ImageCaptioning.pytorch's `prepro_feats.py` writes
 * them, with a TensorFlow.js model folder (layers or graph model) as the network, and the real pretrained
 * networks bundled in nsfwjs written out as such folders.
 *
 * @packageDocumentation
 */
export {
  ExtractOptionsError,
  FeatureSizeError,
  ImageDecodeError,
  ImageFeaturesError,
  LayerNotFoundError,
  ModelFolderError,
} from './errors';
export { adaptiveAvgPool2d, adaptiveWindow, spatialMean, type FeatureMap } from './adaptive-pool';
export {
  inspectModelFolder,
  loadBackbone,
  type Backbone,
  type ModelFolderInfo,
  type ModelFormat,
} from './model-folder';
export {
  extractFeatures,
  type ExtractOptions,
  type ExtractResult,
  type FeaturesManifest,
  type ResizeSpec,
} from './extract';
export { NSFWJS_MODELS, NSFWJS_NORMALIZATION, writeNsfwjsModelFolder, type NsfwjsModelName } from './nsfwjs-model';
export { createProgram, imageEntriesFromFolder, parseResize, parseTriple, runCli } from './cli';
