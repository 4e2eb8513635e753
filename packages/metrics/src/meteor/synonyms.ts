/**
 * METEOR 1.5's synonym dictionary (`SynonymDictionary` in the jar): WordNet 3.0 synsets per word, the
 * irregular forms of `english.exceptions`, and WordNet's suffix-stripping morphology for regular forms.
 * `english.relations` is not needed: the jar does not load it either.
 *
 * @internal
 */
import { MetricsInputError } from '../errors';
import { javaTokenize } from './java-compat';

/** WordNet's detachment rules as the jar lists them: strip `suffix`, append `ending` (nouns, verbs, adjectives). */
const MORPH_RULES: ReadonlyArray<readonly [suffix: string, ending: string]> = [
  ['s', ''], ['ses', 's'], ['xes', 'x'], ['zes', 'z'], ['ches', 'ch'], ['shes', 'sh'], ['men', 'man'], ['ies', 'y'],
  ['s', ''], ['ies', 'y'], ['es', 'e'], ['es', ''], ['ed', 'e'], ['ed', ''], ['ing', 'e'], ['ing', ''],
  ['er', ''], ['est', ''], ['er', 'e'], ['est', 'e'],
];

const EMPTY = new Int32Array(0);

/** Splits a resource file into lines the way Java's `BufferedReader.readLine` does. */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Sorted, duplicate-free copy of `values`. */
function sortedUnique(values: Iterable<number>): Int32Array {
  const sorted = Int32Array.from(new Set(values)).sort();
  return sorted;
}

/** True when two sorted arrays share a value. */
export function sharesValue(a: Int32Array, b: Int32Array): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as number;
    const y = b[j] as number;
    if (x === y) return true;
    if (x < y) i++;
    else j++;
  }
  return false;
}

/** The WordNet synonym sets METEOR's synonym stage consults. */
export class SynonymDictionary {
  /** Line of each word's synset ids in `english.synsets` (parsed when first asked: most words never are). */
  private readonly synsetLine = new Map<string, number>();
  private readonly synsetLines: string[];
  /** Base forms per irregular form, from `english.exceptions`, in file order. */
  private readonly bases = new Map<string, string[]>();
  private readonly source: string;

  /**
   * @param synsetsText `synonym/english.synsets`: a word line, then a line of its synset ids, repeated
   * @param exceptionsText `synonym/english.exceptions`: a base form line, then a line of its irregular forms
   * @param source where the texts came from, for error messages
   */
  constructor(synsetsText: string, exceptionsText: string, source = 'METEOR synonym files') {
    const exceptionLines = splitLines(exceptionsText);
    for (let k = 0; k + 1 < exceptionLines.length; k += 2) {
      const base = exceptionLines[k] as string;
      for (const form of javaTokenize(exceptionLines[k + 1] as string)) {
        const list = this.bases.get(form);
        if (list === undefined) this.bases.set(form, [base]);
        else list.push(base);
      }
    }
    this.synsetLines = splitLines(synsetsText);
    if (this.synsetLines.length % 2 !== 0 || exceptionLines.length % 2 !== 0) {
      throw new MetricsInputError('odd number of lines: expected pairs of (word, data) lines', {
        file: source,
        field: this.synsetLines.length % 2 !== 0 ? 'english.synsets' : 'english.exceptions',
      });
    }
    // A word listed twice keeps its last synset line, as the jar's Hashtable does.
    for (let k = 0; k < this.synsetLines.length; k += 2) this.synsetLine.set(this.synsetLines[k] as string, k + 1);
    this.source = source;
  }

  /** Number of words with synsets. */
  get size(): number {
    return this.synsetLine.size;
  }

  /**
   * Every synset the synonym stage gives `word`: its own synsets plus those of its base form (the listed
   * irregular bases, else the WordNet morphology's first base form that has synsets). Sorted, unique.
   */
  synsetsOf(word: string): Int32Array {
    const own = this.ownSynsets(word);
    const fromBase = this.baseSynsets(word);
    return fromBase.length === 0 ? own : own.length === 0 ? fromBase : sortedUnique([...own, ...fromBase]);
  }

  /** True when the two words share a synset (either through its base form). */
  areSynonyms(word1: string, word2: string): boolean {
    return sharesValue(this.synsetsOf(word1), this.synsetsOf(word2));
  }

  /** The synsets `english.synsets` lists for `word` (`getSynSets`). */
  private ownSynsets(word: string): Int32Array {
    const line = this.synsetLine.get(word);
    if (line === undefined) return EMPTY;
    const ids = javaTokenize(this.synsetLines[line] as string).map((id) => Number.parseInt(id, 10));
    if (ids.some((id) => Number.isNaN(id))) {
      throw new MetricsInputError(`line ${line + 1} is not a list of synset ids`, {
        file: this.source,
        field: 'english.synsets',
      });
    }
    return sortedUnique(ids);
  }

  /** `getStemSynSets`: synsets of the irregular bases if listed, else of the morphological base form. */
  private baseSynsets(word: string): Int32Array {
    const bases = this.bases.get(word);
    if (bases !== undefined) {
      const ids: number[] = [];
      for (const base of bases) ids.push(...this.ownSynsets(base));
      return sortedUnique(ids);
    }
    return this.ownSynsets(this.morph(word));
  }

  /**
   * WordNet's `morphstr` for regular forms as the jar implements it: words ending in `ss` or of at most two
   * characters are their own base; otherwise the first rule whose result has synsets wins; else `""`.
   */
  private morph(word: string): string {
    if (word.endsWith('ss') || word.length <= 2) return word;
    for (const [suffix, ending] of MORPH_RULES) {
      if (!word.endsWith(suffix)) continue;
      const candidate = word.slice(0, word.length - suffix.length) + ending;
      if (this.synsetLine.has(candidate)) return candidate;
    }
    return '';
  }
}
