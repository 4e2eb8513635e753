/**
 * `npm run bench -w @caption/models-clipcap`: captioning ms per image at GPT-2-small + ViT-B/32 size (random weights):
 * CLIP's ViT-B/32 image tower (224 px), ClipCap's MLP mapper (prefix 10), GPT-2 small generating `--tokens` tokens
 * greedily (no stop token, so every caption has the same length), with and without the KV cache, at batch 1 and 32;
 * side by side, in the same run, with ClipCap's own PyTorch code (`generate2`, `bench/clipcap_pytorch.py`, Debian's
 * /usr/bin/python3 with torch) when torch and the reference sources (`--clipcap-src DIR` or `$CLIPCAP_SRC`, see that
 * script) are there; otherwise ours alone, saying what is missing. Medians; the load average before and after.
 *
 * Options: --runs=N (2) --tokens=N (20) --batches=1,32 --threads=1,2 (ours: wasm threads, one process each; the
 * value is passed to initBackend, the backend's own description says what ran) --torch-threads=1 --clipcap-src=DIR
 * --uncached=1,32 (batches timed without the cache) --python=/usr/bin/python3
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, Random } from '@caption/core';
import { formatMs, loadAverageText, markdownTable, median } from '@caption/bench-support';
import { ClipCapDecoder, ClipCapModel, generateGreedy, GPT2_SMALL_CONFIG, VisionTransformer } from '../src/index';

const here = dirname(fileURLToPath(import.meta.url));
const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=', 2) as [string, string | undefined];
    return [k, v ?? ''];
  }),
);
const numbers = (key: string, fallback: string): number[] => (args.get(key) ?? fallback).split(',').map(Number);
const runs = Number(args.get('runs') ?? 2);
const tokens = Number(args.get('tokens') ?? 20);
const batches = numbers('batches', '1,32');
const uncachedBatches = numbers('uncached', batches.join(','));

/** One measured configuration. */
interface Row {
  impl: string;
  threads: string;
  batch: number;
  cache: string;
  encodeMs: number;
  totalMs: number;
  /** the load average (1, 5, 15 min) when this implementation's process started: the machine is shared */
  load?: string;
}

/** Our side, in this process (`--worker`): prints one JSON line. */
async function worker(threads: number): Promise<void> {
  const info = await initBackend('wasm', { quiet: true, threads });
  const rng = new Random(0);
  const visual = new VisionTransformer(
    { inputResolution: 224, patchSize: 32, width: 768, layers: 12, heads: 12, outputDim: 512 },
    { rng },
  ).eval();
  const model = new ClipCapModel({ gpt: GPT2_SMALL_CONFIG, prefixSize: 512, prefixLength: 10 }, { rng }).eval();
  const rows: Row[] = [];
  for (const batch of batches) {
    const images = tf.randomNormal([batch, 3, 224, 224], 0, 1, 'float32', 1) as tf.Tensor4D;
    for (const useCache of [true, false]) {
      if (!useCache && !uncachedBatches.includes(batch)) continue;
      const decoder = new ClipCapDecoder(model, { useCache });
      const once = (): { encode: number; total: number } => {
        const t0 = performance.now();
        const embeddings = tf.tidy(() => visual.apply(images));
        embeddings.dataSync();
        const t1 = performance.now();
        generateGreedy(decoder, embeddings, { maxLength: tokens });
        const t2 = performance.now();
        embeddings.dispose();
        return { encode: (t1 - t0) / batch, total: (t2 - t0) / batch };
      };
      // warm-up (XNNPACK packs the weights on first use; the uncached pass reuses the packed weights)
      if (useCache) once();
      const timedRuns = Array.from({ length: useCache ? runs : 1 }, once);
      rows.push({
        impl: 'ours (TF.js wasm)',
        threads: info.description,
        batch,
        cache: useCache ? 'yes' : 'no',
        encodeMs: median(timedRuns.map((r) => r.encode)),
        totalMs: median(timedRuns.map((r) => r.total)),
      });
    }
    images.dispose();
  }
  process.stdout.write(`${JSON.stringify(rows)}\n`);
}

/** The last line of a child's output as JSON. */
function lastJson<T>(stdout: string): T {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] as string) as T;
}

async function main(): Promise<void> {
  const loadBefore = loadAverageText();
  const rows: Row[] = [];
  for (const threads of numbers('threads', '1,2')) {
    const load = loadAverageText();
    const child = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        fileURLToPath(import.meta.url),
        '--worker',
        `--threads=${threads}`,
        ...process.argv.slice(2).filter((a) => !a.startsWith('--threads')),
      ],
      {
        encoding: 'utf8',
        maxBuffer: 1 << 26,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    if (child.status !== 0)
      throw new Error(`bench worker (threads ${threads}) exited with ${child.status ?? child.signal}`);
    rows.push(...lastJson<Row[]>(child.stdout).map((r) => ({ ...r, load })));
  }

  const python = args.get('python') ?? '/usr/bin/python3';
  const src = args.get('clipcap-src') ?? process.env.CLIPCAP_SRC ?? '';
  const torchCheck = existsSync(python)
    ? spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' })
    : null;
  let missing: string | null = null;
  if (torchCheck === null) missing = `${python} is absent`;
  else if (torchCheck.status !== 0) missing = `${python} has no torch (apt-get install python3-torch)`;
  else if (
    src === '' ||
    !['CLIP_prefix_caption/predict.py', 'CLIP/clip/model.py', 'nanoGPT/model.py'].every((f) => existsSync(join(src, f)))
  )
    missing = `the reference sources are not given: --clipcap-src=DIR (or CLIPCAP_SRC) with CLIP_prefix_caption/, CLIP/, nanoGPT/ (rmokady/CLIP_prefix_caption, openai/CLIP, karpathy/nanoGPT)`;
  if (missing === null) {
    for (const threads of numbers('torch-threads', '1')) {
      const load = loadAverageText();
      const py = spawnSync(
        python,
        [
          join(here, 'clipcap_pytorch.py'),
          '--src',
          src,
          '--tokens',
          String(tokens),
          '--batches',
          batches.join(','),
          '--threads',
          String(threads),
          '--runs',
          String(runs),
        ],
        { encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      if (py.status !== 0) throw new Error(`clipcap_pytorch.py exited with ${py.status ?? py.signal}`);
      const out = lastJson<{
        torch: string;
        threads: number;
        rows: Array<{ batch: number; msPerImage: number; encodeMsPerImage: number }>;
      }>(py.stdout);
      for (const r of out.rows)
        rows.push({
          impl: `ClipCap generate2 (PyTorch ${out.torch} CPU)`,
          threads: `${out.threads} thread${out.threads === 1 ? '' : 's'}`,
          batch: r.batch,
          cache: 'no (generate2)',
          encodeMs: r.encodeMsPerImage,
          totalMs: r.msPerImage,
          load,
        });
    }
  }

  const torchRows = rows.filter((r) => r.impl.startsWith('ClipCap'));
  const fastestTorch = (batch: number): number =>
    Math.min(...torchRows.filter((r) => r.batch === batch).map((r) => r.totalMs));
  console.log(
    `Captioning at GPT-2-small + ViT-B/32 size (random weights): ViT-B/32 at 224 px → ClipCap MLP mapper (prefix 10) → ${tokens} greedy tokens; ms per image, medians of ${runs} runs (uncached: 1 run), after a warm-up`,
  );
  console.log(
    markdownTable(
      [
        'implementation',
        'threads',
        'batch',
        'KV cache',
        'image tower',
        'total',
        'PyTorch (fastest) / this',
        'load at start',
      ],
      rows.map((r) => [
        r.impl,
        r.threads,
        String(r.batch),
        r.cache,
        formatMs(r.encodeMs),
        formatMs(r.totalMs),
        torchRows.length === 0 ? '–' : `${(fastestTorch(r.batch) / r.totalMs).toFixed(2)}×`,
        r.load ?? '',
      ]),
    ),
  );
  if (missing !== null) console.log(`PyTorch side not run: ${missing}`);
  console.log(
    `${new Date().toISOString()}; ${cpus().length} × ${cpus()[0]?.model ?? '?'}; load average before ${loadBefore}, after ${loadAverageText()}`,
  );
}

if (args.has('worker')) await worker(Number(args.get('threads') ?? 1));
else await main();
