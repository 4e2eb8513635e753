/**
 * The Snowball English stemmer METEOR 1.5 uses for its stem stage (`org.tartarus.snowball.ext.englishStemmer`
 * in the jar). The npm package `snowball-stemmers` gives the same stems: checked on 170,939 real words (every
 * word of the COCO val2014 captions and of METEOR's WordNet files; see `docs/meteor.md`).
 *
 * @internal
 */
import { newStemmer } from 'snowball-stemmers';

/** English Snowball stems with a memo, since the aligner stems the same words for every reference. */
export class EnglishStemmer {
  private readonly stemmer = newStemmer('english');
  private readonly memo = new Map<string, string>();

  /** The Snowball English stem of `word` (as given: METEOR lower-cases before stemming). */
  stem(word: string): string {
    let stem = this.memo.get(word);
    if (stem === undefined) {
      stem = this.stemmer.stem(word);
      this.memo.set(word, stem);
    }
    return stem;
  }
}
