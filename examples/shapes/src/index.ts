/**
 * `@caption/example-shapes`: the embedded default data set of the caption demo. Rendered 64x64 images of
 * 1-4 coloured shapes in spatial relations, 5 captions each from an English (or Chinese) grammar, written in
 * the Karpathy split format with the ground-truth scenes beside them.
 *
 * @packageDocumentation
 */
export {
  generateShapes,
  buildKarpathyDataset,
  sceneFor,
  captionsFor,
  encodePng,
  configHash,
  datasetFileName,
  imageFileName,
  defaultShapesDir,
  SHAPES_FORMAT_VERSION,
  type GenerateShapesOptions,
  type KarpathyBuildOptions,
  type GenerateProgress,
  type ShapesDataset,
  type ShapesManifest,
  type ShapesSplit,
  type KarpathyDataset,
  type KarpathyImage,
  type KarpathySentence,
  type SceneRecord,
  type ScenesFile,
} from './generate';
export {
  sampleScene,
  spatialRelation,
  inverseRelation,
  extremeObject,
  gridCell,
  objectOutline,
  outlineBounds,
  deriveSeed,
  SHAPE_NAMES,
  COLOR_NAMES,
  SIZE_NAMES,
  BASE_COLORS,
  CLEAR_RELATION_RATIO,
  type Scene,
  type SceneObject,
  type SceneOptions,
  type Background,
  type BackgroundStyle,
  type BackgroundTone,
  type ShapeName,
  type ColorName,
  type SizeName,
  type Rgb,
  type Outline,
  type SpatialRelation,
} from './scene';
export { renderScene, signedDistance } from './rasterise';
export {
  sampleCaptions,
  sceneFacts,
  shuffled,
  type Caption,
  type CaptionGrammar,
  type CaptionLanguage,
  type CaptionTemplate,
  type SceneFacts,
} from './caption-grammar';
export { englishGrammar } from './captions-en';
export { chineseGrammar } from './captions-zh';
export { ShapesOptionsError, ShapesFileError } from './errors';
export {
  extractRegionFeatures,
  imageRegions,
  cropWindow,
  halveImage,
  FEATURE_FOLDERS,
  CONTEXT_REGIONS,
  FEATURES_FORMAT_VERSION,
  type RegionFeatureOptions,
  type RegionFeatures,
  type FeatureProgress,
  type FeaturesManifest,
  type CnnAccuracy,
} from './features';
export { RegionCnn, conv3x3Same, type RegionCnnConfig, type RegionCnnOutput, type NamedWeight } from './region-cnn';
