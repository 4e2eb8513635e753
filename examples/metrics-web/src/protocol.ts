/** Messages between the page (main.ts) and its scoring worker (worker.ts). */

/** Page → worker: score these two files. */
export interface ScoreRequest {
  type: 'score';
  refs: File;
  results: File;
  /** Karpathy split (ignored for COCO annotations). */
  split: string;
  tokenize: 'ptb' | 'jieba' | 'char';
  /** URL of jieba-wasm's `.wasm`, copied beside the page by the build. */
  jiebaWasm: string;
}

/** Worker → page. */
export type WorkerMessage =
  | { type: 'progress'; stage: string; completed: number; total: number }
  | {
      type: 'done';
      corpus: Record<string, number>;
      keys: string[];
      imageIds: string[];
      /** One column of per-image scores per key, in `imageIds` order. */
      columns: Float64Array[];
      candidates: string[];
      references: string[][];
      seconds: number;
    }
  | { type: 'error'; message: string };
