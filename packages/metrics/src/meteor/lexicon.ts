/**
 * Per-word facts the aligner needs, computed once per distinct word and kept for the scorer's lifetime:
 * the jar recomputes them for every (candidate, reference) pair, with the same results.
 *
 * @internal
 */
import { javaStringHash } from './java-compat';
import type { ParaphraseTable } from './paraphrase-table';
import type { EnglishStemmer } from './stemmer';
import type { SynonymDictionary } from './synonyms';

/** What the lexicon derives word facts from. */
export interface LexiconResources {
  /** Snowball English stemmer (stem stage). */
  readonly stemmer: EnglishStemmer;
  /** WordNet synonyms (synonym stage). */
  readonly synonyms: SynonymDictionary;
  /** The paraphrase table, or `null` to run the paraphrase stage empty. */
  readonly paraphrases: ParaphraseTable | null;
  /** The function-word list (`function/english.words`). */
  readonly functionWords: ReadonlySet<string>;
}

/** Interned words (dense ids) with their Java hash, stem hash, synsets, function-word flag and paraphrase id. */
export class MeteorLexicon {
  private readonly ids = new Map<string, number>();
  /** `String.hashCode` of each word: the jar's word identity. */
  readonly hash: number[] = [];
  /** `String.hashCode` of each word's Snowball stem. */
  readonly stemHash: number[] = [];
  /** Synsets of each word and of its base form, sorted. */
  readonly synsets: Int32Array[] = [];
  /** Whether each word (lower-cased) is in the function-word list. */
  readonly isFunctionWord: boolean[] = [];
  /** Each word's id in the paraphrase table's vocabulary (-1: absent or no table). */
  readonly paraphraseId: number[] = [];

  constructor(readonly resources: LexiconResources) {}

  /** Ids of `words`, interning new ones. */
  encode(words: readonly string[]): Int32Array {
    const out = new Int32Array(words.length);
    for (let i = 0; i < words.length; i++) out[i] = this.id(words[i] as string);
    return out;
  }

  private id(word: string): number {
    let id = this.ids.get(word);
    if (id === undefined) {
      id = this.hash.length;
      this.ids.set(word, id);
      const { stemmer, synonyms, paraphrases, functionWords } = this.resources;
      this.hash.push(javaStringHash(word));
      this.stemHash.push(javaStringHash(stemmer.stem(word)));
      this.synsets.push(synonyms.synsetsOf(word));
      this.isFunctionWord.push(functionWords.has(word.toLowerCase()));
      this.paraphraseId.push(paraphrases === null ? -1 : paraphrases.wordId(word));
    }
    return id;
  }
}
