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
import { recordInKeyOrder } from '../internal/records';
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

/** One chunk of captions joined by `\n`, with a caption of context on each side that has a neighbour there. */
export interface CaptionChunk {
  /** the captions `[start, end)` (and their context) joined by `\n` */
  text: string;
  /** whether the first / last line is context, to be dropped from the tokenized lines */
  trim: { first: boolean; last: boolean };
  start: number;
  end: number;
}

/** `texts` cut into `parts` contiguous chunks (see the top of this file for the context lines). */
export function captionChunks(texts: readonly string[], parts: number): CaptionChunk[] {
  return chunkRanges(texts.length, parts).map(([start, end]) => {
    const first = start > 0;
    const last = end < texts.length;
    return {
      text: texts.slice(first ? start - 1 : start, last ? end + 1 : end).join('\n'),
      trim: { first, last },
      start,
      end,
    };
  });
}

/**
 * The captions' tokenized lines, computed chunk by chunk by `run` (called for the last chunk first and chunk 0
 * last, so that workers given the others run while the caller computes chunk 0): the assembly shared by the
 * threaded tokenizer and its in-process test.
 */
export async function tokenizeInChunks(
  chunks: readonly CaptionChunk[],
  run: (chunk: number, text: string, trim: { first: boolean; last: boolean }) => string | Promise<string>,
): Promise<string[]> {
  const pieces = new Array<string | Promise<string>>(chunks.length);
  for (let t = chunks.length - 1; t >= 0; t--) {
    const { text, trim } = chunks[t] as CaptionChunk;
    pieces[t] = run(t, text, trim);
  }
  const lines = new Array<string>((chunks[chunks.length - 1] as CaptionChunk | undefined)?.end ?? 0);
  for (const [t, piece] of pieces.entries()) {
    const { start, end } = chunks[t] as CaptionChunk;
    const chunk = (await piece).split('\n');
    // an empty chunk joins to '' (one empty line): keep exactly end − start lines
    for (let i = 0; i < end - start; i++) lines[start + i] = chunk[i] as string;
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

/** A message to a tokenizer worker, and its answer (the kept lines joined by `\n`). */
interface WorkerJob {
  job: number;
  text: string;
  trim: { first: boolean; last: boolean };
}
interface WorkerAnswer {
  job: number;
  lines: string;
}

/**
 * Tokenizer workers that live as long as the process and serve every call (caption-eval tokenizes references
 * and results in two calls): each loads the tokenizer and builds its lexer's states once. They hold the event
 * loop only while a job is pending, so an idle pool does not keep the process alive.
 */
class PtbWorkerPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, { resolve: (lines: string) => void; reject: (error: Error) => void }>();
  private nextJob = 0;

  constructor(private readonly file: string) {}

  /** Starts workers until there are `count` (they load the tokenizer meanwhile). */
  grow(count: number): void {
    while (this.workers.length < count) {
      const worker = new Worker(this.file);
      worker.on('message', ({ job, lines }: WorkerAnswer) => {
        const waiting = this.pending.get(job);
        this.pending.delete(job);
        if (this.pending.size === 0) for (const w of this.workers) w.unref();
        waiting?.resolve(lines);
      });
      const fail = (error: Error): void => {
        const index = this.workers.indexOf(worker);
        if (index >= 0) this.workers.splice(index, 1);
        for (const waiting of this.pending.values()) waiting.reject(error);
        this.pending.clear();
      };
      worker.on('error', fail);
      worker.on('exit', (code) => fail(new Error(`the tokenizer worker exited with ${code}`)));
      worker.unref();
      this.workers.push(worker);
    }
  }

  /** Tokenizes one chunk on worker `index` (started if needed). */
  run(index: number, text: string, trim: { first: boolean; last: boolean }): Promise<string> {
    this.grow(index + 1);
    const worker = this.workers[index] as Worker;
    const job = this.nextJob++;
    return new Promise((resolve, reject) => {
      this.pending.set(job, { resolve, reject });
      for (const w of this.workers) w.ref();
      worker.postMessage({ job, text, trim } satisfies WorkerJob);
    });
  }
}

const pools = new Map<string, PtbWorkerPool>();
const poolOf = (file: string): PtbWorkerPool => {
  let pool = pools.get(file);
  if (pool === undefined) pools.set(file, (pool = new PtbWorkerPool(file)));
  return pool;
};

/**
 * Starts the worker threads a later {@link ptbTokenizeParallel} call with `threads` threads would use, so that
 * they load the tokenizer while the caller does other work (caption-eval: while it reads the JSON files).
 * Nothing happens when no built worker program is found or `threads` < 2.
 */
export function startPtbWorkers(threads: number, options: Pick<PtbParallelOptions, 'workerFile'> = {}): void {
  const file = options.workerFile === undefined ? workerFile() : options.workerFile;
  if (file !== null && threads >= 2) poolOf(file).grow(threads - 1);
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
  for (const id of ids) {
    const list = captions[id];
    if (!Array.isArray(list)) return ptbTokenize(captions); // its error names the id
    total += list.length;
    for (const caption of list) if (typeof caption !== 'string') return ptbTokenize(captions);
  }
  const parts = Math.min(threads, Math.floor(total / (options.minCaptionsPerThread ?? MIN_CAPTIONS_PER_THREAD)));
  const file = options.workerFile === undefined ? workerFile() : options.workerFile;
  if (parts < 2 || file === null) return ptbTokenize(captions);
  const texts = new Array<string>(total);
  let t = 0;
  for (const id of ids) {
    for (const caption of captions[id] as readonly string[]) {
      texts[t++] = caption.indexOf('\n') < 0 ? caption : caption.replace(/\n/g, ' ');
    }
  }
  const chunks = captionChunks(texts, parts);
  // one scan per chunk (not a test per caption) for the line breaks that make the reference shift lines
  if (chunks.some((chunk) => SHIFTING_BREAK.test(chunk.text))) return ptbTokenize(captions);
  const lines = await tokenizeInChunks(chunks, (chunk, text, trim) =>
    chunk === 0 ? tokenizeChunk(text, trim) : poolOf(file).run(chunk - 1, text, trim),
  );
  let at = 0;
  return recordInKeyOrder(
    ids,
    ids.map((id) => {
      const count = (captions[id] as readonly string[]).length;
      at += count;
      return lines.slice(at - count, at);
    }),
  );
}
