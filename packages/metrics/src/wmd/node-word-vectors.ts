/**
 * Reading a word-vector file in Node (`caption-eval --word-vectors FILE`, `evaluate({ wordVectors: path })`):
 * streamed and gunzipped (`.gz`, or gzip content), keeping only the words asked for.
 */
import { MetricsInputError } from '../errors';
import { nodeBuiltins } from '../internal/node-apis';
import { WordVectorParser, type WordVectorFormat, type WordVectors } from './word-vectors';

/** Options of {@link loadWordVectors}. */
export interface LoadWordVectorsOptions {
  /**
   * `text` (word2vec text, or GloVe text without header) or `binary` (word2vec binary). Default: `binary` for
   * a name ending in `.bin` or `.bin.gz`, else `text`.
   */
  format?: WordVectorFormat;
  /** Keep only these words (what a scorer needs; the others are skipped while reading). Default: all. */
  words?: ReadonlySet<string>;
}

/**
 * Reads word vectors from a file: word2vec text or binary, or GloVe text; gzipped or not.
 *
 * @throws MetricsInputError naming the file when it cannot be read or is not such a file
 *
 * @example
 * ```ts
 * const vectors = await loadWordVectors('glove.6B.100d.txt.gz', { words: new Set(['dog', 'cat']) });
 * ```
 */
export async function loadWordVectors(file: string, options: LoadWordVectorsOptions = {}): Promise<WordVectors> {
  const { fs, zlib } = nodeBuiltins('reading a word-vector file needs Node.js >= 20.16', 'wordVectors');
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
    throw new MetricsInputError('word-vector file does not exist', { file, field: 'wordVectors' });
  }
  const format = options.format ?? (/\.bin(\.gz)?$/i.test(file) ? 'binary' : 'text');
  const words = options.words;
  const parser = new WordVectorParser({ format, file, keep: words === undefined ? undefined : (w) => words.has(w) });
  const head = new Uint8Array(2);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, head, 0, 2, 0);
  } finally {
    fs.closeSync(fd);
  }
  const gzipped = head[0] === 0x1f && head[1] === 0x8b;
  try {
    const raw = fs.createReadStream(file, { highWaterMark: 1 << 20 });
    const stream = gzipped ? raw.pipe(zlib.createGunzip()) : raw;
    for await (const chunk of stream) parser.push(chunk as Uint8Array);
  } catch (error) {
    if (MetricsInputError.isInstance(error)) throw error;
    throw new MetricsInputError(
      `cannot read word vectors: ${(error as Error).message}`,
      { file, field: 'wordVectors' },
      { cause: error },
    );
  }
  return parser.finish();
}
