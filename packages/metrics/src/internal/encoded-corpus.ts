/**
 * References and candidates of an evaluation turned into n-gram ids once, with one vocabulary, so that
 * BLEU and CIDEr share the work when `evaluate` runs both.
 *
 * @internal
 */
import { NgramVocabulary, type EncodedSentence } from './ngram-vocabulary';
import type { TokenizedCands, TokenizedRefs } from '../types';

/** An evaluation's captions as n-gram ids (image order: `ids`). */
export interface EncodedCorpus {
  readonly vocab: NgramVocabulary;
  readonly maxOrder: number;
  readonly ids: readonly string[];
  /** Per image, its references. */
  readonly refs: readonly (readonly EncodedSentence[])[];
  /** Per image, its candidate. */
  readonly cands: readonly EncodedSentence[];
}

/** A guess of the number of distinct n-grams, to size the table once (about 8 new ones per caption). */
export function expectedNgrams(sentences: number): number {
  return Math.max(4096, sentences * 10);
}

/** Encodes the captions of `ids` (already validated) with n-grams up to `maxOrder`. */
export function encodeCorpus(refs: TokenizedRefs, cands: TokenizedCands, ids: readonly string[], maxOrder: number): EncodedCorpus {
  let sentences = ids.length;
  for (const id of ids) sentences += (refs[id] as readonly string[]).length;
  const vocab = new NgramVocabulary(maxOrder, expectedNgrams(sentences));
  const encodedRefs = ids.map((id) => (refs[id] as readonly string[]).map((ref) => vocab.encode(ref)));
  const encodedCands = ids.map((id) => vocab.encode(cands[id] as string));
  return { vocab, maxOrder, ids, refs: encodedRefs, cands: encodedCands };
}
