/**
 * `@caption/metrics`: the coco-caption evaluation (PTB tokenizer, BLEU, METEOR, ROUGE-L, CIDEr-D, SPICE,
 * WMD) in pure TypeScript, with the same numbers as the official Python/Java tools.
 *
 * @packageDocumentation
 */
export { MetricsInputError, type MetricsInputLocation } from './errors';
export type {
  CocoScoreName,
  MetricName,
  MetricResult,
  RawCands,
  RawRefs,
  TokenizedCands,
  TokenizedRefs,
} from './types';
export { PTB_PUNCTUATION, ptbTokenize, ptbTokenizeLine, type PtbTokenizeLineOptions } from './tokenizer';
