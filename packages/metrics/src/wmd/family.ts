/**
 * WMD as a metric family of `evaluate` and `caption-eval` (key `WMD`): runnable when word vectors are given
 * (`wordVectors`: a path, read keeping only the captions' words, or a loaded {@link WordVectors}).
 */
import type { MetricFamily } from '../metric-families';
import { numpyMean } from '../internal/python-compat';
import { loadWordVectors } from './node-word-vectors';
import { withoutStopWords, wmdImageScores } from './wmd';
import { WordVectors } from './word-vectors';

/** Why WMD cannot run without vectors. */
export const WMD_NEEDS_VECTORS =
  'WMD needs word vectors: give a word2vec (text or binary) or GloVe text file, .gz accepted, with the wordVectors option or the --word-vectors flag of caption-eval (coco-caption uses GoogleNews-vectors-negative300.bin)';

/** The WMD family. */
export const WMD_FAMILY: MetricFamily = {
  name: 'wmd',
  keys: ['WMD'],
  unavailableReason: (options) => (options.wordVectors === undefined ? WMD_NEEDS_VECTORS : null),
  async compute(refs, cands, options, context) {
    let vectors = options.wordVectors;
    if (typeof vectors === 'string') {
      const words = new Set<string>();
      for (const id of context.imageIds) {
        for (const word of withoutStopWords(cands[id] as string)) words.add(word);
        for (const ref of refs[id] as readonly string[]) for (const word of withoutStopWords(ref)) words.add(word);
      }
      vectors = await loadWordVectors(vectors, { words });
    }
    if (!(vectors instanceof WordVectors)) throw new Error('internal error: wordVectors is neither a path nor vectors');
    const scores = wmdImageScores(refs, cands, context.imageIds, vectors);
    return { WMD: { score: numpyMean(scores), imageScores: scores } };
  },
};
