/**
 * {@link ptbTokenize} on several worker threads (Node), with exactly its output; `caption-eval` uses it.
 *
 * The reference tokenizes all captions as one text, one caption per line, and the lexer's decisions at the
 * end of a line can depend on how the next line starts (`etc.` before a capital letter). The captions are
 * therefore cut into contiguous chunks, each tokenized with one caption of context on either side whose lines
 * are dropped: every kept caption sees the same neighbourhood as in the one-text run. Captions with a line
 * break other than `\n` (which makes the reference shift all later captions by a line) are tokenized in one
 * piece. The library entry keeps the single-threaded tokenizer (no Node API there).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ptbTokenize } from './ptb-tokenizer';

/** Captions below which a chunk is not worth a worker (starting one and loading the tokenizer: ~30–50 ms). */
export const MIN_CAPTIONS_PER_THREAD = 20_000;

/** Line breaks other than `\n` that the reference's tokenizer turns into an extra line. */
const SHIFTING_BREAK = /[\r\u2028\u2029\v\f]/;

/** What a worker gets: its captions (context included, `\n` already replaced) joined by `\n`. */
export interface PtbChunk {
  text: string;
}

/**
 * Tokenizes one chunk's captions (joined by `\n`, the first and last being context when `trim` says so)
 * and returns the kept captions' tokenized lines joined by `\n` (one string: cheap to post between threads).
 */
export function tokenizeChunk(text: string, trim: { first: boolean; last: boolean }): string {
  const lines = ptbTokenize({ '0': text.split('\n') })['0'] as string[];
  return lines.slice(trim.first ? 1 : 0, trim.last ? lines.length - 1 : lines.length).join('\n');
}

/** Contiguous chunks of `total` captions for `parts` threads: `[start, end)` each. */
export function chunkRanges(total: number, parts: number): Array<[number, number]> {
  return Array.from({ length: parts }, (_, t): [number, number] => [
    Math.floor((t * total) / parts),
    Math.floor(((t + 1) * total) / parts),
  ]);
}

/**
 * The captions' tokenized lines, computed in chunks by `run` (called for the last chunk first and chunk 0
 * last, so that workers started for the others run while the caller computes chunk 0): the assembly shared
 * by the threaded tokenizer and its in-process test.
 */
export async function tokenizeInChunks(
  texts: readonly string[],
  parts: number,
  run: (chunk: number, text: string, trim: { first: boolean; last: boolean }) => string | Promise<string>,
): Promise<string[]> {
  const ranges = chunkRanges(texts.length, parts);
  const pieces = new Array<string | Promise<string>>(parts);
  for (let t = parts - 1; t >= 0; t--) {
    const [start, end] = ranges[t] as [number, number];
    const first = start > 0;
    const last = end < texts.length;
    pieces[t] = run(t, texts.slice(first ? start - 1 : start, last ? end + 1 : end).join('\n'), { first, last });
  }
  const lines: string[] = [];
  for (const [t, piece] of pieces.entries()) {
    const [start, end] = ranges[t] as [number, number];
    const chunk = (await piece).split('\n');
    // an empty chunk joins to '' (one empty line): keep exactly end − start lines
    for (let i = 0; i < end - start; i++) lines.push(chunk[i] as string);
  }
  return lines;
}

/** Where the built worker program is (beside the bundle that imports this), or null when running from source. */
function workerFile(): string | null {
  try {
    const url = new URL('./ptb-worker.js', import.meta.url);
    if (url.protocol !== 'file:') return null;
    const file = fileURLToPath(url);
    return existsSync(file) ? file : null;
  } catch {
    return null; // no import.meta.url (a CommonJS build)
  }
}

/** Runs one chunk in a worker thread. */
function inWorker(file: string, text: string, trim: { first: boolean; last: boolean }): Promise<string> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(file, { workerData: { text, trim } });
    worker.once('message', (lines: string) => resolve(lines));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the tokenizer worker exited with ${code}`));
    });
  });
}

/** Options of {@link ptbTokenizeParallel} (tests). */
export interface PtbParallelOptions {
  /** default {@link MIN_CAPTIONS_PER_THREAD} */
  minCaptionsPerThread?: number;
  /** the worker program (default: `ptb-worker.js` beside this bundle, when built) */
  workerFile?: string | null;
}

/**
 * `ptbTokenize(captions)` on up to `threads` threads (the calling one included): same output. One thread when
 * there are too few captions, when a caption has a line break other than `\n`, or when no built worker
 * program is found (running from source).
 */
export async function ptbTokenizeParallel(
  captions: Readonly<Record<string, readonly string[]>>,
  threads: number,
  options: PtbParallelOptions = {},
): Promise<Record<string, string[]>> {
  const ids = Object.keys(captions);
  let total = 0;
  let shifting = false;
  for (const id of ids) {
    const list = captions[id];
    if (!Array.isArray(list)) return ptbTokenize(captions); // its error names the id
    total += list.length;
    for (const caption of list) {
      if (typeof caption !== 'string') return ptbTokenize(captions);
      if (!shifting && SHIFTING_BREAK.test(caption)) shifting = true;
    }
  }
  const parts = Math.min(threads, Math.floor(total / (options.minCaptionsPerThread ?? MIN_CAPTIONS_PER_THREAD)));
  const file = options.workerFile === undefined ? workerFile() : options.workerFile;
  if (parts < 2 || shifting || file === null) return ptbTokenize(captions);
  const texts = new Array<string>(total);
  let t = 0;
  for (const id of ids) {
    for (const caption of captions[id] as readonly string[]) {
      texts[t++] = caption.indexOf('\n') < 0 ? caption : caption.replace(/\n/g, ' ');
    }
  }
  const lines = await tokenizeInChunks(texts, parts, (chunk, text, trim) =>
    chunk === 0 ? tokenizeChunk(text, trim) : inWorker(file, text, trim),
  );
  const out: Record<string, string[]> = {};
  let at = 0;
  for (const id of ids) {
    const count = (captions[id] as readonly string[]).length;
    out[id] = lines.slice(at, at + count);
    at += count;
  }
  return out;
}
