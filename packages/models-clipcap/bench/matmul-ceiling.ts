/**
 * `npm run bench:ceiling -w @caption/models-clipcap`: the matrix products of captioning at GPT-2-small + ViT-B/32 size
 * (batch 1 and 32), each timed as the model calls it (`tf.matMul` of a fresh activation and a kept weight, transposed
 * as the model stores it), on 1 and 2 wasm threads (one process each): median wall time and GFLOP/s per shape, plus a
 * 1024³ product. With `captioning.ts`'s FLOP count (docs/captioning-bench.md) this gives the lowest ms per image the
 * backend can reach. Options: --threads=1,2 --reps=7.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@caption/core';
import { loadAverageText, markdownTable, median } from '@caption/bench-support';

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=', 2) as [string, string | undefined];
    return [k, v ?? ''];
  }),
);
const reps = Number(args.get('reps') ?? 7);

/** A product `[m,k]·op(W)` with `W` stored `[k,n]` (`transposeB`: `[n,k]`, PyTorch layout), and where it occurs. */
interface Shape {
  what: string;
  m: number;
  k: number;
  n: number;
  transposeB: boolean;
}

const SHAPES: Shape[] = [
  { what: 'ViT qkv, batch 1', m: 50, k: 768, n: 2304, transposeB: true },
  { what: 'ViT mlp c_fc, batch 1', m: 50, k: 768, n: 3072, transposeB: true },
  { what: 'ViT mlp c_proj, batch 1', m: 50, k: 3072, n: 768, transposeB: true },
  { what: 'ViT qkv, batch 32', m: 1600, k: 768, n: 2304, transposeB: true },
  { what: 'ViT mlp c_fc, batch 32', m: 1600, k: 768, n: 3072, transposeB: true },
  { what: 'ViT mlp c_proj, batch 32', m: 1600, k: 3072, n: 768, transposeB: true },
  { what: 'GPT-2 prefix c_fc, batch 32', m: 288, k: 768, n: 3072, transposeB: false },
  { what: 'GPT-2 prefix c_fc, batch 1', m: 9, k: 768, n: 3072, transposeB: false },
  { what: 'GPT-2 step c_attn, batch 1', m: 1, k: 768, n: 2304, transposeB: false },
  { what: 'GPT-2 step c_fc, batch 1', m: 1, k: 768, n: 3072, transposeB: false },
  { what: 'GPT-2 step mlp c_proj, batch 1', m: 1, k: 3072, n: 768, transposeB: false },
  { what: 'GPT-2 LM head, batch 1', m: 1, k: 768, n: 50257, transposeB: true },
  { what: 'GPT-2 step c_attn, batch 32', m: 32, k: 768, n: 2304, transposeB: false },
  { what: 'GPT-2 step c_fc, batch 32', m: 32, k: 768, n: 3072, transposeB: false },
  { what: 'GPT-2 step mlp c_proj, batch 32', m: 32, k: 3072, n: 768, transposeB: false },
  { what: 'GPT-2 LM head, batch 32', m: 32, k: 768, n: 50257, transposeB: true },
  { what: '1024³', m: 1024, k: 1024, n: 1024, transposeB: false },
];

interface Result {
  what: string;
  threads: number;
  ms: number;
  minMs: number;
}

async function worker(threads: number): Promise<void> {
  await initBackend('wasm', { quiet: true, threads });
  const results: Result[] = [];
  for (const s of SHAPES) {
    const w = tf.randomNormal(s.transposeB ? [s.n, s.k] : [s.k, s.n], 0, 0.02, 'float32', 2);
    const times: number[] = [];
    for (let r = 0; r <= reps; r++) {
      const x = tf.randomNormal([s.m, s.k], 0, 1, 'float32', r);
      const t0 = performance.now();
      const y = tf.matMul(x, w, false, s.transposeB);
      y.dataSync();
      const ms = performance.now() - t0;
      if (r > 0) times.push(ms); // the first call transposes or packs the weight once
      tf.dispose([x, y]);
    }
    w.dispose();
    results.push({ what: s.what, threads, ms: median(times), minMs: Math.min(...times) });
  }
  process.stdout.write(`${JSON.stringify(results)}\n`);
}

async function main(): Promise<void> {
  const before = loadAverageText();
  const all: Result[] = [];
  const threadCounts = (args.get('threads') ?? '1,2').split(',').map(Number);
  for (const threads of threadCounts) {
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--worker', `--threads=${threads}`, `--reps=${reps}`],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    if (child.status !== 0) throw new Error(`worker (threads ${threads}) exited with ${child.status ?? child.signal}`);
    all.push(...(JSON.parse(child.stdout.trim().split('\n').pop() as string) as Result[]));
  }
  console.log(
    `Products of captioning at GPT-2-small + ViT-B/32 size: GFLOP/s of the median (and of the fastest) of ${reps} calls after one, wall time`,
  );
  console.log(
    markdownTable(
      ['product', 'm × k × n', ...threadCounts.map((t) => `${t} thread${t === 1 ? '' : 's'}: ms (GFLOP/s, fastest)`)],
      SHAPES.map((s) => [
        s.what,
        `${s.m} × ${s.k} × ${s.n}${s.transposeB ? ' (Wᵀ)' : ''}`,
        ...threadCounts.map((t) => {
          const r = all.find((x) => x.what === s.what && x.threads === t)!;
          const rate = (ms: number): string => ((2 * s.m * s.k * s.n) / ms / 1e6).toFixed(1);
          return `${r.ms.toFixed(2)} (${rate(r.ms)}, ${rate(r.minMs)})`;
        }),
      ]),
    ),
  );
  console.log(`${new Date().toISOString()}; load average before ${before}, after ${loadAverageText()}`);
}

if (args.has('worker')) await worker(Number(args.get('threads') ?? 1));
else await main();
