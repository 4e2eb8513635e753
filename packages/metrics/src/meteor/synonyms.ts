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
  ['s', ''],
  ['ses', 's'],
  ['xes', 'x'],
  ['zes', 'z'],
  ['ches', 'ch'],
  ['shes', 'sh'],
  ['men', 'man'],
  ['ies', 'y'],
  ['s', ''],
  ['ies', 'y'],
  ['es', 'e'],
  ['es', ''],
  ['ed', 'e'],
  ['ed', ''],
  ['ing', 'e'],
  ['ing', ''],
  ['er', ''],
  ['est', ''],
  ['er', 'e'],
  ['est', 'e'],
];

const EMPTY = new Int32Array(0);

/** Splits a resource file into lines the way Java's `BufferedReader.readLine` does. */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Sorted, duplicate-free copy of `values`. */
function sortedUnique(values: readonly number[]): Int32Array {
  const sorted = Int32Array.from(values).sort();
  let kept = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (i === 0 || sorted[i] !== sorted[kept - 1]) sorted[kept++] = sorted[i] as number;
  }
  return kept === sorted.length ? sorted : sorted.slice(0, kept);
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

/**
 * The words of `english.synsets` and where their synset ids are, without splitting the 3.7 MB file into lines:
 * the file lists its words in sorted order, so a word is found by binary search over the line offsets. A file
 * that is not sorted gets a `Map` instead (a word listed twice keeps its last line, as the jar's Hashtable does).
 */
class SynsetIndex {
  /** Start of each word line; its ids line starts after the word line's end. */
  private readonly wordStart: Int32Array;
  private readonly wordEnd: Int32Array;
  private readonly idsEnd: Int32Array;
  private readonly unsorted: Map<string, number> | null;

  constructor(
    private readonly text: string,
    source: string,
  ) {
    const lineEnds: number[] = [];
    for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) lineEnds.push(at);
    if (text.length > 0 && !text.endsWith('\n')) lineEnds.push(text.length);
    if (lineEnds.length % 2 !== 0) {
      throw new MetricsInputError('odd number of lines: expected pairs of (word, synset ids) lines', {
        file: source,
        field: 'english.synsets',
      });
    }
    const entries = lineEnds.length / 2;
    this.wordStart = new Int32Array(entries);
    this.wordEnd = new Int32Array(entries);
    this.idsEnd = new Int32Array(entries);
    let start = 0;
    let sorted = true;
    for (let k = 0; k < entries; k++) {
      this.wordStart[k] = start;
      this.wordEnd[k] = lineEnds[2 * k] as number;
      this.idsEnd[k] = lineEnds[2 * k + 1] as number;
      start = (lineEnds[2 * k + 1] as number) + 1;
      if (k > 0 && sorted) sorted = this.compareEntry(k - 1, this.word(k)) < 0;
    }
    this.unsorted = null;
    if (!sorted) {
      const map = new Map<string, number>();
      for (let k = 0; k < entries; k++) map.set(this.word(k), k);
      this.unsorted = map;
    }
  }

  /** Number of word entries. */
  get size(): number {
    return this.unsorted?.size ?? this.wordStart.length;
  }

  /** The entry of `word`, or -1. */
  find(word: string): number {
    if (this.unsorted !== null) return this.unsorted.get(word) ?? -1;
    let lo = 0;
    let hi = this.wordStart.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const order = this.compareEntry(mid, word);
      if (order === 0) return mid;
      if (order < 0) lo = mid + 1;
      else hi = mid;
    }
    return -1;
  }

  /** The synset ids line of entry `k`. */
  ids(k: number): string {
    return this.text.slice(this.wordEnd[k] as number, this.idsEnd[k] as number);
  }

  private word(k: number): string {
    return withoutCarriageReturn(this.text.slice(this.wordStart[k] as number, this.wordEnd[k] as number));
  }

  /** Sign of (word of entry `k`) compared with `word`, in UTF-16 code unit order (Java's `compareTo`). */
  private compareEntry(k: number, word: string): number {
    const start = this.wordStart[k] as number;
    let end = this.wordEnd[k] as number;
    if (end > start && this.text.charCodeAt(end - 1) === 13) end--;
    const length = end - start;
    const common = Math.min(length, word.length);
    for (let i = 0; i < common; i++) {
      const diff = this.text.charCodeAt(start + i) - word.charCodeAt(i);
      if (diff !== 0) return diff;
    }
    return length - word.length;
  }
}

function withoutCarriageReturn(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** The WordNet synonym sets METEOR's synonym stage consults. */
export class SynonymDictionary {
  /** Where each word's synset ids are in `english.synsets` (parsed when first asked: most words never are). */
  private readonly synsets: SynsetIndex;
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
    if (exceptionLines.length % 2 !== 0) {
      throw new MetricsInputError('odd number of lines: expected pairs of (base form, forms) lines', {
        file: source,
        field: 'english.exceptions',
      });
    }
    for (let k = 0; k + 1 < exceptionLines.length; k += 2) {
      const base = exceptionLines[k] as string;
      for (const form of javaTokenize(exceptionLines[k + 1] as string)) {
        const list = this.bases.get(form);
        if (list === undefined) this.bases.set(form, [base]);
        else list.push(base);
      }
    }
    // Lone carriage returns end lines for Java's readLine too; such a file is rewritten once.
    const text = /\r(?!\n)/.test(synsetsText) ? synsetsText.replace(/\r\n?/g, '\n') : synsetsText;
    this.synsets = new SynsetIndex(text, source);
    this.source = source;
  }

  /** Number of words with synsets. */
  get size(): number {
    return this.synsets.size;
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
    const entry = this.synsets.find(word);
    if (entry < 0) return EMPTY;
    const ids = javaTokenize(this.synsets.ids(entry)).map((id) => Number.parseInt(id, 10));
    if (ids.some((id) => Number.isNaN(id))) {
      throw new MetricsInputError(`the synset ids of "${word}" are not integers`, {
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
      if (this.synsets.find(candidate) >= 0) return candidate;
    }
    return '';
  }
}
