/**
 * The scoring worker: reads the two files (gunzipping `.gz`), scores them with `evaluateCoco` from the browser
 * bundle of @caption/metrics, and posts the corpus scores, one column per score key and the captions. All the
 * work happens here, so the page stays responsive on the 40,504 val2014 images.
 */
import {
  MetricsInputError,
  candidatesFromCocoResults,
  evaluateCoco,
  loadJieba,
  readReferences,
} from '@caption/metrics/browser';
import type { ScoreRequest, WorkerMessage } from './protocol';

const post = (message: WorkerMessage, transfer: Transferable[] = []): void => {
  (self as unknown as { postMessage(m: WorkerMessage, t: Transferable[]): void }).postMessage(message, transfer);
};

/** A file's JSON, gunzipped when its name ends in .gz or its bytes start with gzip's magic number. */
async function readJson(file: File): Promise<unknown> {
  const head = new Uint8Array(await file.slice(0, 2).arrayBuffer());
  const gzipped = file.name.endsWith('.gz') || (head[0] === 0x1f && head[1] === 0x8b);
  const text = gzipped
    ? await new Response(file.stream().pipeThrough(new DecompressionStream('gzip'))).text()
    : await file.text();
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new MetricsInputError(`invalid JSON: ${(error as Error).message}`, { file: file.name });
  }
}

self.onmessage = async (event: MessageEvent<ScoreRequest>) => {
  const request = event.data;
  try {
    const started = performance.now();
    post({ type: 'progress', stage: 'reading files', completed: 0, total: 1 });
    const [annotations, results] = await Promise.all([readJson(request.refs), readJson(request.results)]);
    if (request.tokenize === 'jieba') await loadJieba({ wasm: request.jiebaWasm });
    const result = await evaluateCoco(annotations, results, {
      split: request.split,
      tokenize: request.tokenize,
      referencesFile: request.refs.name,
      candidatesFile: request.results.name,
      onProgress: ({ stage, completed, total }) => post({ type: 'progress', stage, completed, total }),
    });
    // The captions to show beside the scores (read again: evaluateCoco keeps only tokens).
    const references = readReferences(annotations, { split: request.split });
    const candidates = candidatesFromCocoResults(results);
    const byName = references.imageIdsByFileName;
    const refsOf = (id: string): string[] =>
      [...(references.refs[id] ?? references.refs[byName?.get(id) ?? ''] ?? [])] as string[];
    const keys = Object.keys(result.corpus);
    const columns = keys.map((key) =>
      Float64Array.from(
        result.imageIds,
        (id) => result.perImage[id]?.[key as keyof (typeof result.perImage)[string]] ?? 0,
      ),
    );
    post(
      {
        type: 'done',
        corpus: result.corpus as Record<string, number>,
        keys,
        imageIds: result.imageIds,
        columns,
        candidates: result.imageIds.map((id) => candidates[id] ?? ''),
        references: result.imageIds.map(refsOf),
        seconds: (performance.now() - started) / 1000,
      },
      columns.map((column) => column.buffer),
    );
  } catch (error) {
    post({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  }
};
