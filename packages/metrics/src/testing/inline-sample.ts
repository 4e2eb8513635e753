/**
 * The hand-written captions of `fixtures/inline-sample.json` and their scores by the real coco-caption
 * scorers (see `scripts/make-inline-sample-fixture.py`), imported as a module so that browser-like tests
 * need no file system.
 */
import sample from '../../fixtures/inline-sample.json';
import type { TokenizedCands, TokenizedRefs } from '../types';

/** Tokenized references, candidates and the oracle's corpus and per-image scores. */
export const INLINE_SAMPLE: {
  refs: TokenizedRefs;
  cands: TokenizedCands;
  corpus: Record<string, number>;
  perImage: Record<string, Record<string, number>>;
} = { refs: sample.refs, cands: sample.candidates, corpus: sample.corpus, perImage: sample.perImage };
