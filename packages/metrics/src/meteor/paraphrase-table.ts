/**
 * METEOR's paraphrase table in a compact, loadable-in-one-read form.
 *
 * The jar's file (`paraphrase-en.gz`, about 59 MB gzipped) is a list of entries of three lines each: a
 * probability (ignored by the jar), a reference phrase and its paraphrase, both space-separated words. The jar
 * builds a word trie over the reference phrases; its paraphrase stage asks, for each position of a sentence,
 * every entry whose reference phrase starts there (shorter phrases first, entries of one phrase in file order).
 *
 * Here the same question is answered from flat typed arrays:
 * - the vocabulary, sorted (word id = rank), as one string plus offsets: looked up by binary search;
 * - every distinct phrase (reference or paraphrase), sorted lexicographically by word ids with a phrase
 *   before its extensions, as concatenated word ids plus offsets: the phrases starting with a given prefix
 *   form one range, narrowed word by word (this is the trie walk);
 * - per phrase, the range of its entries (compressed sparse rows) holding their paraphrase's phrase id, in file
 *   order.
 * {@link ParaphraseTable.toBytes} writes these arrays as they are, and {@link ParaphraseTable.fromBytes}
 * wraps them again without parsing, which is what makes a cached table load fast.
 *
 * @internal
 */
import { MetricsInputError } from '../errors';
import { javaTokenize } from './java-compat';

const MAGIC = 'CAPTION-METEOR-PARAPHRASE';
const FORMAT_VERSION = 1;
const ENDIAN_MARK = 0x01020304;

/** A growable `Int32Array`. */
class IntList {
  data: Int32Array;
  length = 0;

  constructor(capacity = 1024) {
    this.data = new Int32Array(capacity);
  }

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }

  toArray(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

/** Sizes of a paraphrase table, for reports. */
export interface ParaphraseTableStats {
  /** Number of entries (reference phrase, paraphrase) as listed in the file. */
  entries: number;
  /** Number of distinct phrases (reference or paraphrase). */
  phrases: number;
  /** Number of distinct words. */
  words: number;
  /** Bytes held by the table's arrays and vocabulary. */
  bytes: number;
}

/** The arrays a {@link ParaphraseTable} is made of. */
interface TableArrays {
  /** All words, sorted, each followed by `\n`. */
  vocabText: string;
  /** Start of word `w` in {@link vocabText} (length: words + 1; the last is one past the final `\n`). */
  vocabOffsets: Int32Array;
  /** Start of phrase `p` in {@link phraseWords} (length: phrases + 1). */
  phraseOffsets: Int32Array;
  /** Word ids of all phrases, concatenated. */
  phraseWords: Int32Array;
  /**
   * Entries of reference phrase `p` are `entryParaphrase[entryStart[p] .. entryStart[p + 1])` (length: phrases + 1).
   */
  entryStart: Int32Array;
  /** Paraphrase phrase id of each entry, grouped by reference phrase, file order within a group. */
  entryParaphrase: Int32Array;
}

/** METEOR's paraphrase table, queried by the paraphrase stage of the aligner. */
export class ParaphraseTable {
  private readonly vocabText: string;
  private readonly vocabOffsets: Int32Array;
  private readonly phraseOffsets: Int32Array;
  private readonly phraseWords: Int32Array;
  private readonly entryStart: Int32Array;
  private readonly entryParaphrase: Int32Array;
  private readonly wordIdMemo = new Map<string, number>();

  private constructor(arrays: TableArrays) {
    this.vocabText = arrays.vocabText;
    this.vocabOffsets = arrays.vocabOffsets;
    this.phraseOffsets = arrays.phraseOffsets;
    this.phraseWords = arrays.phraseWords;
    this.entryStart = arrays.entryStart;
    this.entryParaphrase = arrays.entryParaphrase;
  }

  /** A table from the whole text of a paraphrase file (the jar's format, already decompressed). */
  static fromText(text: string, source = 'paraphrase table'): ParaphraseTable {
    const builder = new ParaphraseTableBuilder(source);
    builder.push(text);
    return builder.finish();
  }

  /** Wraps the bytes written by {@link toBytes} (no parsing; the arrays are views when aligned). */
  static fromBytes(bytes: Uint8Array, source = 'paraphrase index'): ParaphraseTable {
    const fail = (problem: string): never => {
      throw new MetricsInputError(`not a paraphrase index written by this version: ${problem}`, { file: source });
    };
    const magic = new TextEncoder().encode(MAGIC);
    if (bytes.length < magic.length + 40) fail('file too short');
    for (let i = 0; i < magic.length; i++) if (bytes[i] !== magic[i]) fail('wrong magic bytes');
    let offset = align4(magic.length);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const header: number[] = [];
    for (let i = 0; i < 8; i++) header.push(view.getUint32(offset + 4 * i, true));
    offset += 32;
    const [version, endian, words, vocabBytes, phrases, wordRefs, entries, keyBytes] = header as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    if (version !== FORMAT_VERSION) fail(`format version ${version}, expected ${FORMAT_VERSION}`);
    if (endian !== ENDIAN_MARK) fail('written on a machine of other byte order');
    const expected = offset + align4(keyBytes) + 4 * (words + 1 + 2 * (phrases + 1) + wordRefs + entries) + vocabBytes;
    if (bytes.length !== expected) fail(`size ${bytes.length}, expected ${expected}`);
    offset += align4(keyBytes);
    const ints = (count: number): Int32Array => {
      const start = bytes.byteOffset + offset;
      offset += 4 * count;
      return start % 4 === 0
        ? new Int32Array(bytes.buffer, start, count)
        : new Int32Array(bytes.slice(offset - 4 * count, offset).buffer);
    };
    const vocabOffsets = ints(words + 1);
    const phraseOffsets = ints(phrases + 1);
    const phraseWords = ints(wordRefs);
    const entryStart = ints(phrases + 1);
    const entryParaphrase = ints(entries);
    const vocabText = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes.subarray(offset, offset + vocabBytes));
    return new ParaphraseTable({ vocabText, vocabOffsets, phraseOffsets, phraseWords, entryStart, entryParaphrase });
  }

  /** True when `head` (the first bytes of a file) starts like an index written by {@link toBytes}. */
  static isIndex(head: Uint8Array): boolean {
    return new TextEncoder().encode(MAGIC).every((byte, i) => head[i] === byte);
  }

  /** The key stored with the bytes by {@link toBytes} (e.g. which source file they were built from). */
  static keyOf(bytes: Uint8Array): string | null {
    const magic = new TextEncoder().encode(MAGIC);
    if (bytes.length < magic.length + 40) return null;
    for (let i = 0; i < magic.length; i++) if (bytes[i] !== magic[i]) return null;
    const offset = align4(magic.length);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const keyBytes = view.getUint32(offset + 28, true);
    const start = offset + 32;
    if (start + keyBytes > bytes.length) return null;
    return new TextDecoder('utf-8').decode(bytes.subarray(start, start + keyBytes));
  }

  /**
   * The table as bytes for a cache file: a header, then the arrays as they are held in memory.
   *
   * @param key a string stored beside the arrays (read back by {@link keyOf}), to tell whether a cache is stale
   */
  toBytes(key = ''): Uint8Array {
    const encoder = new TextEncoder();
    const magic = encoder.encode(MAGIC);
    const keyText = encoder.encode(key);
    const vocab = encoder.encode(this.vocabText);
    const arrays = [this.vocabOffsets, this.phraseOffsets, this.phraseWords, this.entryStart, this.entryParaphrase];
    const intBytes = arrays.reduce((sum, a) => sum + a.byteLength, 0);
    const headerBytes = align4(magic.length) + 32 + align4(keyText.length);
    const out = new Uint8Array(headerBytes + intBytes + vocab.length);
    out.set(magic, 0);
    const view = new DataView(out.buffer);
    const header = [
      FORMAT_VERSION,
      ENDIAN_MARK,
      this.vocabOffsets.length - 1,
      vocab.length,
      this.phraseOffsets.length - 1,
      this.phraseWords.length,
      this.entryParaphrase.length,
      keyText.length,
    ];
    header.forEach((value, i) => view.setUint32(align4(magic.length) + 4 * i, value, true));
    out.set(keyText, align4(magic.length) + 32);
    let offset = headerBytes;
    for (const a of arrays) {
      out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), offset);
      offset += a.byteLength;
    }
    out.set(vocab, offset);
    return out;
  }

  /** Sizes of the table. */
  get stats(): ParaphraseTableStats {
    const arrays = [this.vocabOffsets, this.phraseOffsets, this.phraseWords, this.entryStart, this.entryParaphrase];
    return {
      entries: this.entryParaphrase.length,
      phrases: this.phraseOffsets.length - 1,
      words: this.vocabOffsets.length - 1,
      bytes: arrays.reduce((sum, a) => sum + a.byteLength, 0) + 2 * this.vocabText.length,
    };
  }

  /** Id of `word` in the table's vocabulary, or -1 when no phrase uses it (the jar's `translate`). */
  wordId(word: string): number {
    const memo = this.wordIdMemo.get(word);
    if (memo !== undefined) return memo;
    let lo = 0;
    let hi = this.vocabOffsets.length - 1;
    let found = -1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const entry = this.vocabText.slice(this.vocabOffsets[mid] as number, (this.vocabOffsets[mid + 1] as number) - 1);
      if (entry === word) {
        found = mid;
        break;
      }
      if (entry < word) lo = mid + 1;
      else hi = mid;
    }
    this.wordIdMemo.set(word, found);
    return found;
  }

  /**
   * The jar's trie walk (`getReferencePaths`) from `words[start]`: for each length n = 1, 2, ... while some
   * phrase starts with `words[start .. start + n)`, writes to `out[n - 1]` the id of the phrase equal to it if
   * that phrase has entries as a reference phrase, else -1. Returns the number of lengths written. The entries
   * of a phrase, in file order, are {@link entriesStart} .. {@link entriesEnd}. `words` are ids from
   * {@link wordId}; `out` needs room for `words.length - start` values.
   */
  referencePhrases(words: Int32Array, start: number, out: Int32Array): number {
    let lo = 0;
    let hi = this.phraseOffsets.length - 1;
    let depth = 0;
    for (; start + depth < words.length; depth++) {
      const word = words[start + depth] as number;
      if (word < 0) break;
      // Phrases in [lo, hi) share the first `depth` words; one of exactly that length sorts first.
      if (lo < hi && this.phraseLength(lo) === depth) lo++;
      const first = this.lowerBound(lo, hi, depth, word);
      const end = this.lowerBound(first, hi, depth, word + 1);
      if (first === end) break;
      lo = first;
      hi = end;
      const exact = this.phraseLength(lo) === depth + 1 && this.entriesEnd(lo) > this.entriesStart(lo);
      out[depth] = exact ? lo : -1;
    }
    return depth;
  }

  /** First entry of reference phrase `phrase` (see {@link referencePhrases}). */
  entriesStart(phrase: number): number {
    return this.entryStart[phrase] as number;
  }

  /** One past the last entry of reference phrase `phrase`. */
  entriesEnd(phrase: number): number {
    return this.entryStart[phrase + 1] as number;
  }

  /** The paraphrase (a phrase id) of entry `entry`. */
  paraphraseOf(entry: number): number {
    return this.entryParaphrase[entry] as number;
  }

  /** Index in the concatenated word ids where phrase `phrase` starts. */
  phraseStart(phrase: number): number {
    return this.phraseOffsets[phrase] as number;
  }

  /** Number of words of phrase `phrase`. */
  phraseLength(phrase: number): number {
    return (this.phraseOffsets[phrase + 1] as number) - (this.phraseOffsets[phrase] as number);
  }

  /** Word id at `index` of the concatenated phrase words (see {@link phraseStart}). */
  phraseWord(index: number): number {
    return this.phraseWords[index] as number;
  }

  /** First phrase in [lo, hi) whose word at `depth` is >= `word` (all have more than `depth` words). */
  private lowerBound(lo: number, hi: number, depth: number, word: number): number {
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.phraseWords[(this.phraseOffsets[mid] as number) + depth] as number) < word) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** @internal used by {@link ParaphraseTableBuilder} */
  static fromArrays(arrays: TableArrays): ParaphraseTable {
    return new ParaphraseTable(arrays);
  }
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

/**
 * Builds a {@link ParaphraseTable} from the jar's text format fed in pieces of any size (a decompressing stream's
 * chunks), so the whole decompressed file (hundreds of MB) never has to be one string.
 */
export class ParaphraseTableBuilder {
  private carry = '';
  private lineNumber = 0;
  private referencePhrase = -1;
  private previousReference = '';
  private dropped = 0;
  private readonly words = new Map<string, number>();
  private readonly wordList: string[] = [];
  private readonly phrases = new Map<string, number>();
  private readonly phraseOffsets = new IntList(1 << 16);
  private readonly phraseWords = new IntList(1 << 16);
  private readonly entryReference = new IntList(1 << 16);
  private readonly entryParaphrase = new IntList(1 << 16);

  /** @param source the file the text comes from, for error messages */
  constructor(private readonly source = 'paraphrase table') {
    this.phraseOffsets.push(0);
  }

  /** Feeds the next piece of text. */
  push(text: string): void {
    const data = this.carry === '' ? text : this.carry + text;
    let start = 0;
    for (let newline = data.indexOf('\n'); newline >= 0; newline = data.indexOf('\n', start)) {
      const end = newline > start && data.charCodeAt(newline - 1) === 13 ? newline - 1 : newline;
      this.addLines(data, start, end);
      start = newline + 1;
    }
    this.carry = start === 0 ? data : data.slice(start);
  }

  /** Ends the input and returns the table. */
  finish(): ParaphraseTable {
    if (this.carry !== '') {
      const lines = this.carry.split(/\r\n|\r|\n/);
      if (lines[lines.length - 1] === '') lines.pop();
      for (const line of lines) this.addLines(line, 0, line.length);
      this.carry = '';
    }
    if (this.lineNumber % 3 !== 0) {
      throw new MetricsInputError(
        `ends inside an entry after line ${this.lineNumber} (each entry is 3 lines: probability, phrase, paraphrase)`,
        { file: this.source },
      );
    }
    return this.sorted();
  }

  /**
   * Entries left out because a phrase is empty: the jar never matches an empty reference phrase, and an empty
   * paraphrase would make it loop forever when counting chunks.
   */
  get droppedEntries(): number {
    return this.dropped;
  }

  /** The line `data[start, end)`, or several if it holds lone carriage returns (old Mac line ends). */
  private addLines(data: string, start: number, end: number): void {
    const line = data.slice(start, end);
    if (!line.includes('\r')) {
      this.addLine(line);
      return;
    }
    for (const piece of line.split('\r')) this.addLine(piece);
  }

  private addLine(line: string): void {
    const role = this.lineNumber % 3;
    this.lineNumber++;
    if (role === 0) return; // the probability: the jar ignores it
    const phrase = this.phraseOf(line);
    if (role === 1) {
      this.referencePhrase = phrase;
      this.previousReference = line;
    } else if (this.referencePhrase < 0 || phrase < 0) {
      this.dropped++;
    } else {
      this.entryReference.push(this.referencePhrase);
      this.entryParaphrase.push(phrase);
    }
  }

  /** Id of the phrase on `line` (its words, single-spaced, are the key), or -1 when it has no word. */
  private phraseOf(line: string): number {
    // Entries of one reference phrase usually follow each other.
    if (line === this.previousReference && this.referencePhrase >= 0) return this.referencePhrase;
    const known = this.phrases.get(line);
    if (known !== undefined) return known;
    const tokens = javaTokenize(line);
    if (tokens.length === 0) return -1;
    const key = tokens.join(' ');
    let id = key === line ? undefined : this.phrases.get(key);
    if (id === undefined) {
      id = this.phrases.size;
      this.phrases.set(key, id);
      for (const token of tokens) {
        let word = this.words.get(token);
        if (word === undefined) {
          word = this.wordList.length;
          this.words.set(token, word);
          this.wordList.push(token);
        }
        this.phraseWords.push(word);
      }
      this.phraseOffsets.push(this.phraseWords.length);
    }
    return id;
  }

  /** Renumbers words and phrases in sorted order and groups entries by reference phrase. */
  private sorted(): ParaphraseTable {
    const wordOrder = this.wordList
      .map((_, i) => i)
      .sort((a, b) => {
        const x = this.wordList[a] as string;
        const y = this.wordList[b] as string;
        return x < y ? -1 : x > y ? 1 : 0;
      });
    const wordRank = new Int32Array(wordOrder.length);
    wordOrder.forEach((word, rank) => (wordRank[word] = rank));
    const vocabOffsets = new Int32Array(wordOrder.length + 1);
    const pieces: string[] = [];
    let chars = 0;
    wordOrder.forEach((word, rank) => {
      vocabOffsets[rank] = chars;
      const text = this.wordList[word] as string;
      pieces.push(text);
      chars += text.length + 1;
    });
    vocabOffsets[wordOrder.length] = chars;
    const vocabText = pieces.length === 0 ? '' : `${pieces.join('\n')}\n`;

    const offsets = this.phraseOffsets.toArray();
    const words = this.phraseWords.toArray().map((word) => wordRank[word] as number);
    const phraseCount = offsets.length - 1;
    const phraseOrder = Array.from({ length: phraseCount }, (_, i) => i).sort((a, b) => {
      const aStart = offsets[a] as number;
      const bStart = offsets[b] as number;
      const aLength = (offsets[a + 1] as number) - aStart;
      const bLength = (offsets[b + 1] as number) - bStart;
      const common = Math.min(aLength, bLength);
      for (let k = 0; k < common; k++) {
        const diff = (words[aStart + k] as number) - (words[bStart + k] as number);
        if (diff !== 0) return diff;
      }
      return aLength - bLength;
    });
    const phraseRank = new Int32Array(phraseCount);
    const sortedOffsets = new Int32Array(phraseCount + 1);
    const sortedWords = new Int32Array(words.length);
    let cursor = 0;
    phraseOrder.forEach((phrase, rank) => {
      phraseRank[phrase] = rank;
      sortedOffsets[rank] = cursor;
      const start = offsets[phrase] as number;
      const end = offsets[phrase + 1] as number;
      sortedWords.set(words.subarray(start, end), cursor);
      cursor += end - start;
    });
    sortedOffsets[phraseCount] = cursor;

    const entryCount = this.entryReference.length;
    const entryStart = new Int32Array(phraseCount + 1);
    const references = this.entryReference.data;
    const paraphrases = this.entryParaphrase.data;
    for (let e = 0; e < entryCount; e++) {
      const slot = (phraseRank[references[e] as number] as number) + 1;
      entryStart[slot] = (entryStart[slot] as number) + 1;
    }
    for (let p = 0; p < phraseCount; p++) entryStart[p + 1] = (entryStart[p + 1] as number) + (entryStart[p] as number);
    const next = entryStart.slice(0, phraseCount);
    const entryParaphrase = new Int32Array(entryCount);
    for (let e = 0; e < entryCount; e++) {
      const reference = phraseRank[references[e] as number] as number;
      const slot = next[reference] as number;
      next[reference] = slot + 1;
      entryParaphrase[slot] = phraseRank[paraphrases[e] as number] as number;
    }
    return ParaphraseTable.fromArrays({
      vocabText,
      vocabOffsets,
      phraseOffsets: sortedOffsets,
      phraseWords: sortedWords,
      entryStart,
      entryParaphrase,
    });
  }
}
