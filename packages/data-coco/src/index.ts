/**
 * `@caption/data-coco`: COCO and Karpathy-split readers, vocabulary, labels (`cocotalk.json`,
 * `cocotalk_label.h5`), CIDEr-D document-frequency caches, feature stores, batch loading, images and
 * preflight checks for image captioning. No tensor library: typed arrays with shapes out.
 */

// errors
export { DataFormatError, DataWriteError, type DataLocation, writeFailureReason } from './errors.js';
export { OutputSet, writeOutputSet } from './output-files.js';

// readers
export {
  KARPATHY_SPLITS,
  type KarpathySplit,
  type KarpathySentence,
  type KarpathyImage,
  type KarpathyDataset,
  type KarpathyReadOptions,
  type KarpathyFileReadOptions,
  readKarpathyDataset,
  parseKarpathyDataset,
  iterateKarpathyImages,
  karpathyImageId,
  karpathyFilePath,
  karpathyPathField,
  countSplits,
} from './karpathy.js';
export {
  type CocoImage,
  type CocoCaptionAnnotation,
  type CocoCaptions,
  type CocoResult,
  readCocoCaptions,
  parseCocoCaptions,
  captionsByImage,
  readCocoResults,
  parseCocoResults,
} from './coco-json.js';
export { pathUnderRoot, readJsonFile, readMaybeGzip, streamJsonValues, type StreamedJsonValue } from './files.js';

// vocabulary, tokenizers, labels
export {
  UNK_TOKEN,
  Vocabulary,
  buildVocabulary,
  type BuildVocabularyOptions,
  type VocabularyStats,
} from './vocabulary.js';
export {
  JIEBA_LIBRARY,
  type TokenizerSpec,
  type CaptionTokenizer,
  createTokenizer,
  jiebaSegment,
  parseTokenizerSpec,
  readCaptionLines,
  replaceCaptions,
} from './tokenizers.js';
export {
  type CaptionLabels,
  LABEL_DATASETS,
  encodeCaptions,
  imageLabelRows,
  readLabelsH5,
  writeLabelsH5,
  validateLabels,
} from './labels.js';
export {
  type CocoTalk,
  type CocoTalkImage,
  type CocoTalkWriteOptions,
  parseCocoTalk,
  readCocoTalk,
  formatCocoTalk,
  writeCocoTalk,
} from './cocotalk.js';
export { type PrepareLabelsOptions, type PreparedLabels, prepareLabels } from './prepro.js';

// n-gram caches and pickles
export {
  EOS_TOKEN,
  type DocumentFrequencyCache,
  type NgramSplit,
  computeDocumentFrequency,
  buildNgramCaches,
  parseDocumentFrequencyPickle,
  readDocumentFrequencyCache,
  formatDocumentFrequencyPickle,
  writeDocumentFrequencyCache,
} from './ngrams.js';
export { type PickleValue, PyTuple, PyDict, PyGlobal, PyReduce, PyFloat, loadPickle, dumpPickle } from './pickle.js';
export {
  type PythonDictOrder,
  type PythonJsonValue,
  python2DictOrder,
  python2StringHash,
  pythonDictOrder,
  pythonJsonDumps,
  pythonJsonString,
  pythonSplit,
} from './python-compat.js';

// arrays and features
export {
  type ShapedArray,
  type NpyDtype,
  type NpyArray,
  type NpyWriteOptions,
  type NpzWriteOptions,
  type ArrayHeader,
  decodeNpy,
  encodeNpy,
  decodeNpz,
  encodeNpz,
  readNpy,
  readNpz,
  readNpyHeader,
  readNpzHeader,
  asFloat32,
  toFloat16Bits,
  float16ToFloat32,
  float32ToFloat16,
} from './npy.js';
export {
  type FeatureStore,
  type FeatureDirectoryOptions,
  FeatureDirectory,
  MemoryFeatureStore,
  readBigFile,
} from './feature-store.js';

// batches
export {
  type LoaderSplit,
  type CaptionLoaderOptions,
  type LoaderState,
  type BatchBounds,
  type BatchImageInfo,
  type CaptionBatch,
  CaptionLoader,
  splitIndices,
} from './loader.js';

// images
export {
  IMAGENET_MEAN,
  IMAGENET_STD,
  type RgbImage,
  type PreprocessOptions,
  decodeImage,
  resizeImage,
  cropImage,
  flipImage,
  normalizeImage,
  preprocessImage,
} from './images.js';
export {
  type ImageEntry,
  type ImageProblemKind,
  type ImageProblem,
  type CheckImagesOptions,
  type CheckImagesReport,
  checkImage,
  checkImages,
  sniffImageFormat,
  truncationOf,
  imageEntriesFromJson,
  writeSkipList,
  readSkipList,
} from './check-images.js';
export { type ProgressReporter, type CreateProgressOptions, createProgress } from './progress.js';

// checks, statistics, command line
export { type PreflightConfig, type PreflightReport, preflight } from './preflight.js';
export { type DatasetStats, datasetStats, formatStats } from './stats.js';
export { type CliIo, createProgram, runCli } from './cli-program.js';

// randomness
export { Random, type RandomState } from './random.js';
