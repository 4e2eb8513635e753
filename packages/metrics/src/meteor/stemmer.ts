/**
 * The Snowball English stemmer METEOR 1.5 uses for its stem stage (`org.tartarus.snowball.ext.englishStemmer`
 * in the jar). The npm package `snowball-stemmers` gives the same stems on every word checked: the 26,960
 * words of the COCO captions in ../shared (stemmer.test.ts) and the 152,385 words of METEOR's WordNet files
 * (the bench), against the jar's stems (fixtures/meteor/jar-cases.json).
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
