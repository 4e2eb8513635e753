/**
 * Word vectors for WMD, read as gensim 4.2's `KeyedVectors.load_word2vec_format` reads them (word2vec text or
 * binary; GloVe text, which has no header line) and normalised as its `get_vector(word, norm=True)` does: in
 * float32, the norm summed as NumPy's pairwise `add.reduce` sums a float32 row. Parsing runs on byte chunks,
 * so a file can be streamed (Node: `loadWordVectors`; a browser: a `File`'s stream) and only the words a
 * scorer needs kept (a 3.6 GB GoogleNews file then costs no more memory than its captions' words).
 */
import { MetricsInputError } from '../errors';
import { isPythonSpace } from '../internal/token-table';

/** Word vectors by word: gensim's unit vectors (float32), all of one dimension. */
export class WordVectors {
  /** Vector dimension. */
  readonly dimension: number;
  private readonly index: Map<string, number>;
  private readonly units: Float32Array;

  /**
   * @param words the words, in file order (a repeated word keeps its first vector, as gensim does)
   * @param vectors their raw vectors, row after row (`words.length × dimension` float32 values)
   * @param dimension the vector dimension
   */
  constructor(words: readonly string[], vectors: Float32Array, dimension: number) {
    if (!Number.isInteger(dimension) || dimension < 1 || vectors.length !== words.length * dimension) {
      throw new MetricsInputError(
        `word vectors: ${vectors.length} values for ${words.length} words of dimension ${dimension}`,
        { field: 'wordVectors' },
      );
    }
    this.dimension = dimension;
    this.index = new Map();
    const kept: number[] = [];
    words.forEach((word, row) => {
      if (this.index.has(word)) return;
      this.index.set(word, kept.length);
      kept.push(row);
    });
    this.units = new Float32Array(kept.length * dimension);
    kept.forEach((row, k) => unitVectorInto(vectors, row * dimension, dimension, this.units, k * dimension));
  }

  /** Number of words. */
  get size(): number {
    return this.index.size;
  }

  /** Whether `word` has a vector (gensim's `word in kv`). */
  has(word: string): boolean {
    return this.index.has(word);
  }

  /** Row of `word` in {@link unitVectors}, or -1. */
  rowOf(word: string): number {
    return this.index.get(word) ?? -1;
  }

  /** The unit vectors, row after row (row `rowOf(word)`), as `get_vector(word, norm=True)` gives them. */
  get unitVectors(): Float32Array {
    return this.units;
  }

  /** `word`'s unit vector (a view), or `undefined` when it has none. */
  unitVector(word: string): Float32Array | undefined {
    const row = this.index.get(word);
    return row === undefined ? undefined : this.units.subarray(row * this.dimension, (row + 1) * this.dimension);
  }
}

const f32 = Math.fround;

/**
 * NumPy's pairwise summation of float32 values (`FLOAT_pairwise_sum`: eight accumulators per block of up to
 * 128, halves above that), every operation rounded to float32.
 */
function float32PairwiseSum(values: Float32Array, start: number, n: number): number {
  if (n < 8) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum = f32(sum + (values[start + i] as number));
    return sum;
  }
  if (n <= 128) {
    const r = new Float64Array(8);
    for (let j = 0; j < 8; j++) r[j] = values[start + j] as number;
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (let j = 0; j < 8; j++) r[j] = f32((r[j] as number) + (values[start + i + j] as number));
    }
    let sum = f32(
      f32(f32((r[0] as number) + (r[1] as number)) + f32((r[2] as number) + (r[3] as number))) +
        f32(f32((r[4] as number) + (r[5] as number)) + f32((r[6] as number) + (r[7] as number))),
    );
    for (; i < n; i++) sum = f32(sum + (values[start + i] as number));
    return sum;
  }
  let half = Math.floor(n / 2);
  half -= half % 8;
  return f32(float32PairwiseSum(values, start, half) + float32PairwiseSum(values, start + half, n - half));
}

/** gensim's unit vector: `v / np.linalg.norm(v, axis=1)` in float32. A zero vector stays as gensim leaves it (NaN). */
function unitVectorInto(raw: Float32Array, from: number, dimension: number, out: Float32Array, to: number): void {
  const squares = new Float32Array(dimension);
  for (let i = 0; i < dimension; i++) {
    const v = raw[from + i] as number;
    squares[i] = v * v;
  }
  const norm = f32(Math.sqrt(float32PairwiseSum(squares, 0, dimension)));
  for (let i = 0; i < dimension; i++) out[to + i] = (raw[from + i] as number) / norm;
}

/** File formats of word vectors. */
export type WordVectorFormat = 'text' | 'binary';

/** Options of {@link WordVectorParser}. */
export interface WordVectorParseOptions {
  /**
   * `text` (word2vec text with its `count dimension` header line, or GloVe text without one: found from the
   * first line) or `binary` (word2vec binary, e.g. `GoogleNews-vectors-negative300.bin`).
   */
  format: WordVectorFormat;
  /** Keep only the words for which this returns true (default: all). */
  keep?: (word: string) => boolean;
  /** Name of the source, used in error messages. */
  file?: string;
}

const SPACE = 0x20;
const NEWLINE = 0x0a;

/**
 * A streaming parser of a word-vector file: `push` its bytes chunk by chunk (already gunzipped), then
 * `finish()`. Malformed input is a {@link MetricsInputError} naming the file and the line (text) or word
 * (binary).
 */
export class WordVectorParser {
  private readonly options: WordVectorParseOptions;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private pending: Uint8Array = new Uint8Array(0);
  private headerCount = -1;
  private dimension = -1;
  private line = 0;
  private seen = 0;
  private readonly words: string[] = [];
  private values: Float32Array = new Float32Array(1024);
  private length = 0;

  constructor(options: WordVectorParseOptions) {
    this.options = options;
  }

  /** Parses another chunk of the file. */
  push(chunk: Uint8Array): void {
    let data = chunk;
    if (this.pending.length > 0) {
      data = new Uint8Array(this.pending.length + chunk.length);
      data.set(this.pending);
      data.set(chunk, this.pending.length);
    }
    const used = this.options.format === 'binary' ? this.parseBinary(data) : this.parseText(data, false);
    this.pending = data.slice(used);
  }

  /** Ends the input and returns the vectors. */
  finish(): WordVectors {
    if (this.options.format === 'text') {
      this.parseText(this.pending, true);
    } else if (this.pending.length > 0 && !(this.pending.length === 1 && this.pending[0] === NEWLINE)) {
      this.fail(`the file ends inside the vector of word ${this.seen + 1}`);
    }
    if (this.dimension < 0) this.fail('no word vector in the file');
    if (this.headerCount >= 0 && this.seen < this.headerCount) {
      this.fail(`the header announces ${this.headerCount} vectors but the file has ${this.seen}`);
    }
    return new WordVectors(this.words, this.values.subarray(0, this.length), this.dimension);
  }

  private fail(problem: string): never {
    throw new MetricsInputError(`word vectors: ${problem}`, { file: this.options.file, field: 'wordVectors' });
  }

  private add(word: string, read: (into: Float32Array, at: number) => void): void {
    this.seen += 1;
    if (this.options.keep !== undefined && !this.options.keep(word)) return;
    if (this.values.length < this.length + this.dimension) {
      const grown = new Float32Array(Math.max(this.values.length * 2, this.length + this.dimension));
      grown.set(this.values.subarray(0, this.length));
      this.values = grown;
    }
    read(this.values, this.length);
    this.length += this.dimension;
    this.words.push(word);
  }

  /** A header line `count dimension`, if `parts` is one. */
  private header(parts: readonly string[]): boolean {
    if (parts.length !== 2 || !parts.every((part) => /^\d+$/.test(part))) return false;
    this.headerCount = Number(parts[0]);
    this.dimension = Number(parts[1]);
    if (this.dimension < 1) this.fail(`the header gives dimension ${this.dimension}`);
    return true;
  }

  /** Parses whole lines of `data` (all of it when `last`); returns the bytes used. */
  private parseText(data: Uint8Array, last: boolean): number {
    let start = 0;
    for (;;) {
      let end = data.indexOf(NEWLINE, start);
      if (end < 0) {
        if (!last || start >= data.length) return start;
        end = data.length;
      }
      this.line += 1;
      this.textLine(data.subarray(start, end));
      start = end + 1;
      if (end === data.length) return data.length;
    }
  }

  private textLine(bytes: Uint8Array): void {
    if (this.headerCount >= 0 && this.seen >= this.headerCount) return; // gensim reads `count` lines only
    let text: string;
    try {
      text = this.decoder.decode(bytes);
    } catch {
      this.fail(`line ${this.line} is not UTF-8 text (a binary word2vec file needs the binary format)`);
    }
    // gensim: line.rstrip().split(" ")
    let end = text.length;
    while (end > 0 && isPythonSpace(text.charCodeAt(end - 1))) end--;
    const parts = text.slice(0, end).split(' ');
    if (this.line === 1 && this.header(parts)) return;
    if (this.dimension < 0) {
      if (parts.length < 2) this.fail(`line ${this.line} is not "word value value ..."`);
      this.dimension = parts.length - 1;
    }
    if (parts.length !== this.dimension + 1) {
      this.fail(`line ${this.line} has ${parts.length - 1} values, not ${this.dimension}`);
    }
    this.add(parts[0] as string, (into, at) => {
      for (let i = 1; i < parts.length; i++) {
        const text = parts[i] as string;
        const value = Number(text);
        if (text === '' || Number.isNaN(value)) this.fail(`line ${this.line}: value ${i} "${text}" is not a number`);
        into[at + i - 1] = value; // float32(float64(text)), as numpy's float32(str)
      }
    });
  }

  /** Parses whole entries (header line, then `word ` + dimension × float32) of `data`; returns the bytes used. */
  private parseBinary(data: Uint8Array): number {
    let at = 0;
    if (this.dimension < 0) {
      const end = data.indexOf(NEWLINE);
      if (end < 0) return 0;
      const parts = this.decoder.decode(data.subarray(0, end)).trim().split(/\s+/);
      if (!this.header(parts)) this.fail('a binary word2vec file starts with a "count dimension" line');
      at = end + 1;
    }
    const bytes = this.dimension * 4;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    while (this.seen < this.headerCount) {
      let wordStart = at;
      while (wordStart < data.length && data[wordStart] === NEWLINE) wordStart++; // gensim: word.lstrip(b'\n')
      const space = data.indexOf(SPACE, wordStart);
      if (space < 0 || space + 1 + bytes > data.length) return at;
      let word: string;
      try {
        word = this.decoder.decode(data.subarray(wordStart, space));
      } catch {
        this.fail(`word ${this.seen + 1} is not UTF-8`);
      }
      const from = space + 1;
      this.add(word, (into, to) => {
        for (let i = 0; i < this.dimension; i++) into[to + i] = view.getFloat32(from + 4 * i, true);
      });
      at = from + bytes;
    }
    return data.length; // what follows the announced vectors is not read, as in gensim
  }
}

/**
 * Parses a whole word-vector file held in memory (already gunzipped).
 *
 * @example
 * ```ts
 * const vectors = parseWordVectors(new TextEncoder().encode('2 3\ndog 1 0 0\ncat 0 1 0\n'), { format: 'text' });
 * vectors.unitVector('dog'); // Float32Array [1, 0, 0]
 * ```
 */
export function parseWordVectors(bytes: Uint8Array, options: WordVectorParseOptions): WordVectors {
  const parser = new WordVectorParser(options);
  parser.push(bytes);
  return parser.finish();
}
