/**
 * METEOR 1.5's aligner (`edu.cmu.meteor.aligner.Aligner` and its matchers), ported rule for rule.
 *
 * 1. Matching: each stage in turn (exact, stem, synonym, paraphrase) lists every candidate match between the
 *    test words (line 1) and the reference words (line 2), grouped by the reference position they start at,
 *    in the jar's order. Words are compared by Java `String.hashCode`, as the jar does.
 * 2. One-to-one matches whose words no other candidate touches are fixed.
 * 3. A beam search (width 40) over the reference positions picks the remaining matches. Paths are ranked by
 *    weighted match count (integer arithmetic with the jar's truncation), then fewer chunks, then smaller
 *    distance; ties keep their order (Java's sort is stable, and so is JavaScript's). The jar's quirks are
 *    kept on purpose: taking a match adds its distance to the path that skips it, not to the new path.
 * 4. The best path's matches are counted per stage, content and function words apart, and its chunks.
 *
 * @internal
 */
import { grown } from '../internal/typed-arrays';
import type { MeteorLexicon } from './lexicon';
import type { ParaphraseTable } from './paraphrase-table';
import { sharesValue } from './synonyms';

/** Stage numbers, in METEOR's order for English. */
export const STAGE_EXACT = 0;
export const STAGE_STEM = 1;
export const STAGE_SYNONYM = 2;
export const STAGE_PARAPHRASE = 3;
/** Number of stages (the jar's `MAX_MODULES`). */
export const STAGE_COUNT = 4;

/** The jar's beam width (`DEFAULT_BEAM_SIZE`). */
export const BEAM_SIZE = 40;

/**
 * Stage weights the beam search ranks paths with (`MeteorScorer.loadConfiguration` sets exact 1.0, the others
 * 0.5); distinct from the scoring weights.
 */
const SEARCH_WEIGHTS: readonly number[] = [1.0, 0.5, 0.5, 0.5];

/** Counts of the best alignment of a test sentence with one reference: the inputs of METEOR's statistics. */
export interface AlignmentCounts {
  /** Number of test words. */
  testLength: number;
  /** Number of reference words. */
  referenceLength: number;
  /** Test words in the function-word list. */
  testFunctionWords: number;
  /** Reference words in the function-word list. */
  referenceFunctionWords: number;
  /** Matched test content words, per stage. */
  testContentMatches: number[];
  /** Matched reference content words, per stage. */
  referenceContentMatches: number[];
  /** Matched test function words, per stage. */
  testFunctionMatches: number[];
  /** Matched reference function words, per stage. */
  referenceFunctionMatches: number[];
  /** Number of chunks (runs of matches contiguous and in order in both sentences). */
  chunks: number;
}

/**
 * Candidate matches of one (test, reference) pair. Match `m` pairs reference words
 * [start[m], start[m] + length[m]) with test words [testStart[m], testStart[m] + testLength[m]). The matches
 * starting at reference position `j` are `first(j)`, `next[...]`, ... in the order the stages found them. One
 * instance is reused for every pair (typed arrays, grown as needed).
 */
class Candidates {
  start = new Int32Array(64);
  length = new Int32Array(64);
  testStart = new Int32Array(64);
  testLength = new Int32Array(64);
  stage = new Int32Array(64);
  next = new Int32Array(64);
  count = 0;
  /** First and last match starting at each reference position (-1: none), and how many. */
  head = new Int32Array(64);
  tail = new Int32Array(64);
  perStart = new Int32Array(64);
  /** How many candidates cover each test / reference word. */
  testCoverage = new Int32Array(64);
  referenceCoverage = new Int32Array(64);
  positions = 0;

  /** Empties the set for a pair of `testLength` test words and `referenceLength` reference words. */
  reset(testLength: number, referenceLength: number): void {
    if (referenceLength > this.head.length) {
      const size = 2 * referenceLength;
      this.head = new Int32Array(size);
      this.tail = new Int32Array(size);
      this.perStart = new Int32Array(size);
      this.referenceCoverage = new Int32Array(size);
    }
    if (testLength > this.testCoverage.length) this.testCoverage = new Int32Array(2 * testLength);
    this.head.fill(-1, 0, referenceLength);
    this.tail.fill(-1, 0, referenceLength);
    this.perStart.fill(0, 0, referenceLength);
    this.referenceCoverage.fill(0, 0, referenceLength);
    this.testCoverage.fill(0, 0, testLength);
    this.positions = referenceLength;
    this.count = 0;
  }

  add(start: number, length: number, testStart: number, testLength: number, stage: number): void {
    if (this.count === this.start.length) this.grow();
    const m = this.count++;
    this.start[m] = start;
    this.length[m] = length;
    this.testStart[m] = testStart;
    this.testLength[m] = testLength;
    this.stage[m] = stage;
    this.next[m] = -1;
    const last = this.tail[start] as number;
    if (last < 0) this.head[start] = m;
    else this.next[last] = m;
    this.tail[start] = m;
    this.perStart[start]!++;
    for (let k = 0; k < testLength; k++) this.testCoverage[testStart + k]!++;
    for (let k = 0; k < length; k++) this.referenceCoverage[start + k]!++;
  }

  private grow(): void {
    const size = this.count + 1;
    this.start = grown(this.start, size);
    this.length = grown(this.length, size);
    this.testStart = grown(this.testStart, size);
    this.testLength = grown(this.testLength, size);
    this.stage = grown(this.stage, size);
    this.next = grown(this.next, size);
  }
}

/**
 * One path of the beam search (`PartialAlignment`). Its per-word state is one plain array (one copy per new path):
 * the chosen match id by reference start position (-1: none), then 1 for each reference word taken, then 1 for
 * each test word taken.
 */
class SearchPath {
  matches1 = 0;
  matches2 = 0;
  chunks = 0;
  idx = 0;
  lastMatchEnd = -1;
  distance = 0;

  constructor(
    readonly state: number[],
    /** Number of reference positions: the state's second part starts here, its third at twice this. */
    readonly positions: number,
  ) {}

  /** The match chosen at reference position `j`, or -1. */
  chosenAt(j: number): number {
    return this.state[j] as number;
  }

  referenceUsed(j: number): boolean {
    return this.state[this.positions + j] === 1;
  }

  testUsed(i: number): boolean {
    return this.state[2 * this.positions + i] === 1;
  }

  /** Marks match `m` chosen at `j`, with its reference words [j, referenceEnd) and test words [testStart, testEnd). */
  take(j: number, m: number, referenceEnd: number, testStart: number, testEnd: number): void {
    this.state[j] = m;
    this.state.fill(1, this.positions + j, this.positions + referenceEnd);
    this.state.fill(1, 2 * this.positions + testStart, 2 * this.positions + testEnd);
  }

  copy(): SearchPath {
    const path = new SearchPath(this.state.slice(), this.positions);
    path.matches1 = this.matches1;
    path.matches2 = this.matches2;
    path.chunks = this.chunks;
    path.idx = this.idx;
    path.lastMatchEnd = this.lastMatchEnd;
    path.distance = this.distance;
    return path;
  }
}

/** `Constants.PARTIAL_COMPARE_TOTAL`: more weighted matches, then fewer chunks, then less distance. */
function comparePaths(x: SearchPath, y: SearchPath): number {
  const diff = y.matches1 + y.matches2 - (x.matches1 + x.matches2);
  if (diff > 0) return 1;
  if (diff < 0) return -1;
  if (x.chunks !== y.chunks) return x.chunks - y.chunks;
  return x.distance - y.distance;
}

/** Aligns test sentences with references as METEOR 1.5 does for English. */
export class MeteorAligner {
  private readonly candidates = new Candidates();

  constructor(private readonly lexicon: MeteorLexicon) {}

  /**
   * The counts of the best alignment of `test` with `reference`: word ids from the lexicon of normalised,
   * lower-cased words.
   */
  align(test: Int32Array, reference: Int32Array): AlignmentCounts {
    const { hash } = this.lexicon;
    const candidates = this.candidates;
    candidates.reset(test.length, reference.length);

    // Identical sentences need the exact stage only (the jar's guard against beam search errors).
    let identical = test.length === reference.length;
    for (let i = 0; identical && i < test.length; i++)
      identical = hash[test[i] as number] === hash[reference[i] as number];
    this.matchWords(test, reference, candidates, identical);
    const paraphrases = this.lexicon.resources.paraphrases;
    if (!identical && paraphrases !== null) this.matchParaphrases(test, reference, candidates, paraphrases);

    const chosen = beamSearch(candidates, fixedMatches(candidates, test.length));
    return this.count(test, reference, candidates, chosen);
  }

  /** The exact, stem and synonym stages (each over all pairs, reference position outermost). */
  private matchWords(test: Int32Array, reference: Int32Array, out: Candidates, exactOnly: boolean): void {
    const { hash, stemHash, synsets } = this.lexicon;
    for (let j = 0; j < reference.length; j++) {
      const r = reference[j] as number;
      for (let i = 0; i < test.length; i++) {
        if (hash[test[i] as number] === hash[r]) out.add(j, 1, i, 1, STAGE_EXACT);
      }
    }
    if (exactOnly) return;
    for (let j = 0; j < reference.length; j++) {
      const r = reference[j] as number;
      for (let i = 0; i < test.length; i++) {
        const t = test[i] as number;
        if (stemHash[t] === stemHash[r] && hash[t] !== hash[r]) out.add(j, 1, i, 1, STAGE_STEM);
      }
    }
    for (let j = 0; j < reference.length; j++) {
      const r = reference[j] as number;
      const referenceSets = synsets[r] as Int32Array;
      if (referenceSets.length === 0) continue;
      for (let i = 0; i < test.length; i++) {
        const t = test[i] as number;
        if (hash[t] !== hash[r] && sharesValue(synsets[t] as Int32Array, referenceSets))
          out.add(j, 1, i, 1, STAGE_SYNONYM);
      }
    }
  }

  /**
   * Paraphrases of reference phrases found in the test (by reference position, shorter reference phrases first,
   * entries in file order, test positions ascending), then paraphrases of test phrases found in the reference
   * (by test position, likewise): the jar's order.
   */
  private matchParaphrases(test: Int32Array, reference: Int32Array, out: Candidates, table: ParaphraseTable): void {
    const { paraphraseId } = this.lexicon;
    const testLine = new PhraseLine(test.map((word) => paraphraseId[word] as number));
    const referenceLine = new PhraseLine(reference.map((word) => paraphraseId[word] as number));
    const scratch = {
      phrases: new Int32Array(Math.max(test.length, reference.length)),
      found: new Int32Array(Math.max(test.length, reference.length)),
    };
    findParaphrases(table, referenceLine, testLine, scratch, (j, length, i, testLength) =>
      out.add(j, length, i, testLength, STAGE_PARAPHRASE),
    );
    findParaphrases(table, testLine, referenceLine, scratch, (i, testLength, j, length) =>
      out.add(j, length, i, testLength, STAGE_PARAPHRASE),
    );
  }

  /** Counts matches per stage and word type, and chunks, of the chosen matches (`getCountAndChunks`). */
  private count(
    test: Int32Array,
    reference: Int32Array,
    candidates: Candidates,
    chosen: readonly number[],
  ): AlignmentCounts {
    const { isFunctionWord } = this.lexicon;
    const counts: AlignmentCounts = {
      testLength: test.length,
      referenceLength: reference.length,
      testFunctionWords: 0,
      referenceFunctionWords: 0,
      testContentMatches: [0, 0, 0, 0],
      referenceContentMatches: [0, 0, 0, 0],
      testFunctionMatches: [0, 0, 0, 0],
      referenceFunctionMatches: [0, 0, 0, 0],
      chunks: 0,
    };
    for (const word of test) if (isFunctionWord[word]) counts.testFunctionWords++;
    for (const word of reference) if (isFunctionWord[word]) counts.referenceFunctionWords++;
    for (const m of chosen) {
      if (m < 0) continue;
      const stage = candidates.stage[m] as number;
      const testStart = candidates.testStart[m] as number;
      for (let k = 0; k < (candidates.testLength[m] as number); k++) {
        const list = isFunctionWord[test[testStart + k] as number]
          ? counts.testFunctionMatches
          : counts.testContentMatches;
        list[stage]!++;
      }
      const start = candidates.start[m] as number;
      for (let k = 0; k < (candidates.length[m] as number); k++) {
        const list = isFunctionWord[reference[start + k] as number]
          ? counts.referenceFunctionMatches
          : counts.referenceContentMatches;
        list[stage]!++;
      }
    }
    // Chunks: a gap in the reference or a jump in the test closes the current chunk.
    let idx = 0;
    let lastMatchEnd = -1;
    while (idx < chosen.length) {
      const m = chosen[idx] as number;
      if (m < 0) {
        if (lastMatchEnd !== -1) {
          counts.chunks++;
          lastMatchEnd = -1;
        }
        idx++;
      } else {
        const testStart = candidates.testStart[m] as number;
        if (lastMatchEnd !== -1 && testStart !== lastMatchEnd) counts.chunks++;
        idx = (candidates.start[m] as number) + (candidates.length[m] as number);
        lastMatchEnd = testStart + (candidates.testLength[m] as number);
      }
    }
    if (lastMatchEnd !== -1) counts.chunks++;
    return counts;
  }
}

/** The start path: every one-to-one candidate whose words no other candidate covers is taken. */
function fixedMatches(candidates: Candidates, testLength: number): SearchPath {
  const positions = candidates.positions;
  const state = new Array<number>(2 * positions + testLength).fill(0);
  state.fill(-1, 0, positions);
  const start = new SearchPath(state, positions);
  for (let j = 0; j < positions; j++) {
    if (candidates.perStart[j] !== 1) continue;
    const m = candidates.head[j] as number;
    const referenceEnd = j + (candidates.length[m] as number);
    const testStart = candidates.testStart[m] as number;
    const testEnd = testStart + (candidates.testLength[m] as number);
    let alone = true;
    for (let k = j; alone && k < referenceEnd; k++) alone = candidates.referenceCoverage[k] === 1;
    for (let k = testStart; alone && k < testEnd; k++) alone = candidates.testCoverage[k] === 1;
    if (!alone) continue;
    start.take(j, m, referenceEnd, testStart, testEnd);
  }
  return start;
}

/** The jar's `resolve`: left to right over reference positions, keeping the best {@link BEAM_SIZE} paths. */
function beamSearch(candidates: Candidates, start: SearchPath): number[] {
  const { start: mStart, length: mLength, testStart: mTestStart, testLength: mTestLength, stage: mStage } = candidates;
  /** Takes match `m` on `path` (weighted sizes truncated as Java's `int +=` does, chunk break, position). */
  const take = (path: SearchPath, m: number): void => {
    const weight = SEARCH_WEIGHTS[mStage[m] as number] as number;
    path.matches1 = Math.trunc(path.matches1 + (mTestLength[m] as number) * weight);
    path.matches2 = Math.trunc(path.matches2 + (mLength[m] as number) * weight);
    if (path.lastMatchEnd !== -1 && mTestStart[m] !== path.lastMatchEnd) path.chunks++;
    path.idx = (mStart[m] as number) + (mLength[m] as number);
    path.lastMatchEnd = (mTestStart[m] as number) + (mTestLength[m] as number);
  };
  const isFree = (path: SearchPath, m: number): boolean => {
    const s = mStart[m] as number;
    for (let k = s; k < s + (mLength[m] as number); k++) if (path.referenceUsed(k)) return false;
    const t = mTestStart[m] as number;
    for (let k = t; k < t + (mTestLength[m] as number); k++) if (path.testUsed(k)) return false;
    return true;
  };

  const positions = candidates.positions;
  const nextMatch = candidates.next;
  let next: SearchPath[] = [start];
  for (let current = 0; current <= positions; current++) {
    const paths = next;
    next = [];
    paths.sort(comparePaths);
    for (let rank = 0; rank < BEAM_SIZE && rank < paths.length; rank++) {
      const path = paths[rank] as SearchPath;
      if (current === positions) {
        if (path.lastMatchEnd !== -1) path.chunks++;
        next.push(path);
        continue;
      }
      if (path.referenceUsed(current)) {
        if (current < path.idx) {
          next.push(path);
        } else {
          const m = path.chosenAt(path.idx);
          if (m >= 0) {
            // A fixed match starts here.
            take(path, m);
            path.distance += Math.abs((mStart[m] as number) - (mTestStart[m] as number));
            next.push(path);
          }
        }
        continue;
      }
      for (let m = candidates.head[current] as number; m >= 0; m = nextMatch[m] as number) {
        if (!isFree(path, m)) continue;
        const extended = path.copy();
        extended.take(
          current,
          m,
          current + (mLength[m] as number),
          mTestStart[m] as number,
          (mTestStart[m] as number) + (mTestLength[m] as number),
        );
        take(extended, m);
        path.distance += Math.abs((mStart[m] as number) - (mTestStart[m] as number)); // sic: the jar charges the path that skips m
        next.push(extended);
      }
      // Skip this position.
      if (path.lastMatchEnd !== -1) {
        path.chunks++;
        path.lastMatchEnd = -1;
      }
      path.idx++;
      next.push(path);
    }
    if (next.length === 0) next.push(paths[0] as SearchPath);
  }
  next.sort(comparePaths);
  const best = next[0] as SearchPath;
  return best.state.slice(0, best.positions);
}

/**
 * One direction of the paraphrase stage: for each position of `source`, each table phrase starting there (shorter
 * first) and each of its paraphrases (file order), every place the paraphrase occurs in `target` (ascending):
 * `found(sourceStart, sourceLength, targetStart, targetLength)`.
 */
function findParaphrases(
  table: ParaphraseTable,
  source: PhraseLine,
  target: PhraseLine,
  scratch: { phrases: Int32Array; found: Int32Array },
  found: (sourceStart: number, sourceLength: number, targetStart: number, targetLength: number) => void,
): void {
  const { phrases, found: places } = scratch;
  for (let start = 0; start < source.words.length; start++) {
    const depths = table.referencePhrases(source.words, start, phrases);
    for (let d = 0; d < depths; d++) {
      const phrase = phrases[d] as number;
      if (phrase < 0) continue;
      for (let e = table.entriesStart(phrase); e < table.entriesEnd(phrase); e++) {
        const paraphrase = table.paraphraseOf(e);
        const count = target.occurrences(table, paraphrase, places);
        for (let k = 0; k < count; k++) found(start, d + 1, places[k] as number, table.phraseLength(paraphrase));
      }
    }
  }
}

/** A sentence as paraphrase-table word ids, with the positions of each word for finding phrases in it. */
class PhraseLine {
  private readonly positions = new Map<number, number[]>();

  constructor(readonly words: Int32Array) {
    words.forEach((word, i) => {
      if (word < 0) return;
      const list = this.positions.get(word);
      if (list === undefined) this.positions.set(word, [i]);
      else list.push(i);
    });
  }

  /**
   * Start positions where the words of `phrase` occur, ascending (the jar scans every position; only those
   * holding the phrase's first word can match), written to `out`; returns how many.
   */
  occurrences(table: ParaphraseTable, phrase: number, out: Int32Array): number {
    const first = table.phraseStart(phrase);
    const starts = this.positions.get(table.phraseWord(first));
    if (starts === undefined) return 0;
    const length = table.phraseLength(phrase);
    let count = 0;
    for (const i of starts) {
      if (i + length > this.words.length) break;
      let k = 1;
      while (k < length && this.words[i + k] === table.phraseWord(first + k)) k++;
      if (k === length) out[count++] = i;
    }
    return count;
  }
}
