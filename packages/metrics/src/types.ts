/**
 * Types shared by every metric in `@caption/metrics`.
 *
 * Image ids are strings (COCO's integer ids are written in decimal). Scores are reported in the order
 * coco-caption uses: ascending numeric image id (JavaScript objects already enumerate integer-like keys
 * in ascending order; other ids keep insertion order).
 */

/** PTB-tokenized references: image id → its reference captions, each one space-joined token string. */
export type TokenizedRefs = Record<string, readonly string[]>;

/** PTB-tokenized candidates: image id → the one generated caption, a space-joined token string. */
export type TokenizedCands = Record<string, string>;

/** Raw (untokenized) references: image id → reference captions as written by annotators. */
export type RawRefs = Record<string, readonly string[]>;

/** Raw (untokenized) candidates: image id → one generated caption. */
export type RawCands = Record<string, string>;

/** The result of a metric that gives one number per image and one corpus number. */
export interface MetricResult {
  /** Corpus-level score, exactly as coco-caption reports it. */
  score: number;
  /** Per-image score, keyed by image id, in evaluation order. */
  perImage: Record<string, number>;
}

/** The names under which coco-caption (COCOEvalCap) reports its scores. */
export type CocoScoreName =
  'Bleu_1' | 'Bleu_2' | 'Bleu_3' | 'Bleu_4' | 'METEOR' | 'ROUGE_L' | 'CIDEr' | 'SPICE' | 'WMD';

/** The metric families that can be asked for (lower case, as the `caption-eval --metrics` flag takes them). */
export type MetricName = 'bleu' | 'meteor' | 'rouge' | 'cider' | 'spice' | 'wmd';
