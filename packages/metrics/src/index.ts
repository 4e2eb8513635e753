/**
 * `@caption/metrics`: the coco-caption evaluation (PTB tokenizer, BLEU, METEOR, ROUGE-L, CIDEr-D, WMD; SPICE
 * through the official jar) in TypeScript, with the same numbers as the official Python/Java tools; Chinese
 * captions scored as the AI Challenger 2017 evaluation.
 *
 * @packageDocumentation
 */
export { bleu, bleuFromCounts, type BleuOptions, type BleuResult, type BleuStats } from './bleu';
export {
  charTokenize,
  isJiebaLoaded,
  jiebaCut,
  jiebaTokenize,
  loadJieba,
  segmentChinese,
  type ChineseSegmentation,
  type JiebaWasmSource,
  type LoadJiebaOptions,
} from './chinese-tokenizer';
export { cider, type CiderOptions } from './cider';
export { kendallTau, type KendallTau } from './kendall-tau';
export {
  CiderDScorer,
  PreparedReferences,
  type CaptionTokens,
  type CiderDOptions,
  type CiderDScorerJson,
  type CiderDScorerJsonV1,
  type CiderDScorerJsonV2,
  type CiderDScores,
  type CiderDTokenize,
} from './cider-d-scorer';
export {
  candidatesFromCocoResults,
  evaluateCoco,
  readReferences,
  referencesFromCocoAnnotations,
  referencesFromKarpathy,
  type EvaluateCocoOptions,
  type ReferenceSet,
} from './coco-files';
export { documentFrequencies, type DocumentFrequencies } from './document-frequency';
export { MetricsInputError, type MetricsInputLocation } from './errors';
export { pythonSplit } from './internal/python-compat';
export {
  TOKENIZERS,
  evaluate,
  type CaptionTokenizer,
  type EmptyCandidatePolicy,
  type EmptyReference,
  type EvaluateOptions,
  type EvaluationProgress,
  type EvaluationResult,
  type ImageScores,
  type MissingCandidatePolicy,
  type TokenizerName,
} from './evaluate';
export { METRIC_NAMES, availableMetrics, type MetricFamilyOptions } from './metric-families';
export * from './meteor';
export * from './spice';
export * from './wmd';
export { rouge, type RougeOptions } from './rouge';
export { PTB_PUNCTUATION, ptbTokenize, ptbTokenizeLine, type PtbTokenizeLineOptions } from './tokenizer';
export type {
  CocoScoreName,
  MetricName,
  MetricResult,
  RawCands,
  RawRefs,
  TokenizedCands,
  TokenizedRefs,
} from './types';
