/**
 * Types for the npm package `snowball-stemmers` (a JavaScript port of the Snowball stemmers; it ships none).
 * Only the part METEOR uses is declared.
 */
declare module 'snowball-stemmers' {
  /** A stemmer for one language. */
  export interface SnowballStemmer {
    /** The stem of one word (the word is not lower-cased first). */
    stem(word: string): string;
  }
  /** A new stemmer for a Snowball algorithm name such as `english`. */
  export function newStemmer(algorithm: string): SnowballStemmer;
  /** The algorithm names {@link newStemmer} accepts. */
  export function algorithms(): string[];
}
