/**
 * The Snowball English stemmer METEOR 1.5 uses for its stem stage (`org.tartarus.snowball.ext.englishStemmer`
 * in the jar). The npm package `snowball-stemmers` gives the same stems on every word checked: the 26,960
 * words of the COCO captions in ../shared (stemmer.test.ts) and the 152,385 words of METEOR's WordNet files
 * (the bench), against the jar's stems (fixtures/meteor/jar-cases.json).
 *
 * @internal
 */
import { newStemmer } from 'snowball-stemmers';

/**
 * English Snowball stems. No memo here: the scorer's lexicon (`lexicon.ts`) stems each distinct word once and
 * keeps the stem's hash.
 */
export class EnglishStemmer {
  private readonly stemmer = newStemmer('english');

  /** The Snowball English stem of `word` (as given: METEOR lower-cases before stemming). */
  stem(word: string): string {
    return this.stemmer.stem(word);
  }
}
