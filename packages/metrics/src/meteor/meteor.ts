/**
 * `meteor(refs, cands)`: METEOR with the same shape as the other metrics, loading METEOR's data on first use.
 */
import type { TokenizedCands, TokenizedRefs } from '../types';
import { loadMeteorScorer, type MeteorDataOptions } from './node-data';
import type { MeteorResult, MeteorScorer } from './scorer';

/** Options of {@link meteor}: where its data is (Node), or a scorer built beforehand (any environment). */
export interface MeteorOptions extends MeteorDataOptions {
  /** A scorer to use instead of loading one from {@link MeteorDataOptions.meteorData}. */
  scorer?: MeteorScorer;
}

/**
 * METEOR 1.5 as coco-caption computes it: per image the score against the best reference, for the corpus the
 * score of the summed statistics. The data (METEOR's jar or resource folder, and its paraphrase table) is
 * found as {@link locateMeteorData} says and loaded once per process.
 *
 * @param refs PTB-tokenized references per image
 * @param cands one PTB-tokenized candidate per image (same ids)
 * @throws MetricsInputError when the data cannot be found (the message says what to provide) or the input is bad
 *
 * @example
 * ```ts
 * const { score, perImage } = await meteor(
 *   { '1': ['a dog sitting on a boat', 'the dog is riding on the boat'] },
 *   { '1': 'a dog sits on a boat' },
 *   { meteorData: 'pycocoevalcap/meteor/meteor-1.5.jar' },
 * );
 * ```
 */
export async function meteor(
  refs: TokenizedRefs,
  cands: TokenizedCands,
  options: MeteorOptions = {},
): Promise<MeteorResult> {
  const scorer = options.scorer ?? (await loadMeteorScorer(options));
  return scorer.score(refs, cands);
}
