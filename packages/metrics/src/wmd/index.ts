/**
 * WMD (Word Mover's Distance) as coco-caption's WMD scorer computes it.
 *
 * @packageDocumentation
 */
export { pyemdDistance, EmdScratch, type EmdProblem } from './emd';
export { loadWordVectors, type LoadWordVectorsOptions } from './node-word-vectors';
export { WMD_STOP_WORDS } from './stop-words';
export { wmd, wmdistance, withoutStopWords, type WmdOptions } from './wmd';
export {
  WordVectorParser,
  WordVectors,
  parseWordVectors,
  type WordVectorFormat,
  type WordVectorParseOptions,
} from './word-vectors';
