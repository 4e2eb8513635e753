/**
 * Benchmarks of @caption/data-coco (run: `npm run bench -w @caption/data-coco`). Prints medians and
 * ratios measured side by side in one run:
 *
 * 1. the loader's batches/s with features read from disk (bottom-up-like att [K × 2048], K = 10..100,
 *    fc [2048]), for npz deflated/stored, float32/float16, with and without prefetch, and from memory;
 * 2. on-disk size of float16 vs float32 features;
 * 3. reading a 144 MB Karpathy file (Flickr8k repeated to the size of dataset_coco.json): time and peak
 *    memory, streamed vs parsed at once (each in its own process).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import {
  type CocoTalk,
  CaptionLoader,
  FeatureDirectory,
  type FeatureStore,
  MemoryFeatureStore,
  Random,
  Vocabulary,
  encodeCaptions,
} from '../src/index.js';
import { median, timedAsync } from '@caption/bench-support';

const here = dirname(fileURLToPath(import.meta.url));
const IMAGES = Number(process.env.BENCH_IMAGES ?? 200);
const BATCHES = Number(process.env.BENCH_BATCHES ?? 20);
const DIM = 2048;

function dirBytes(dir: string): number {
  return readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

async function loaderBench(root: string): Promise<void> {
  const rng = new Random(1);
  const vocabulary = new Vocabulary(Array.from({ length: 1000 }, (_, i) => `w${i}`));
  const images = Array.from({ length: IMAGES }, (_, i) => ({ id: i + 1, split: 'train', filePath: `${i}.jpg` }));
  const captions = images.map(() =>
    Array.from({ length: 5 }, () => Array.from({ length: 4 + rng.nextInt(12) }, () => `w${rng.nextInt(1000)}`)),
  );
  const labels = encodeCaptions(captions, vocabulary, 16);
  const cocotalk: CocoTalk = { vocabulary, images };
  const memoryAtt = new MemoryFeatureStore();
  const memoryFc = new MemoryFeatureStore();
  for (const im of images) {
    const k = 10 + rng.nextInt(91);
    // post-ReLU-like features: about half zeros, the rest positive with 4 significant digits
    const att = Float32Array.from({ length: k * DIM }, () => Math.max(0, Math.round((rng.next() * 2 - 1) * 3e4) / 1e4));
    memoryAtt.set(im.id, { data: att, shape: [k, DIM] });
    const fc = new Float32Array(DIM);
    for (let r = 0; r < k; r += 1)
      for (let c = 0; c < DIM; c += 1) fc[c] = (fc[c] as number) + (att[r * DIM + c] as number) / k;
    memoryFc.set(im.id, { data: fc, shape: [DIM] });
  }
  const variants: Array<{ name: string; att: FeatureDirectory; fc: FeatureDirectory }> = [
    {
      name: 'npz deflated float32',
      att: new FeatureDirectory(join(root, 'att32z'), { format: 'npz' }),
      fc: new FeatureDirectory(join(root, 'fc32'), { format: 'npy' }),
    },
    {
      name: 'npz stored float32',
      att: new FeatureDirectory(join(root, 'att32'), { format: 'npz', compress: false }),
      fc: new FeatureDirectory(join(root, 'fc32'), { format: 'npy' }),
    },
    {
      name: 'npz deflated float16',
      att: new FeatureDirectory(join(root, 'att16z'), { format: 'npz', dtype: 'float16' }),
      fc: new FeatureDirectory(join(root, 'fc16'), { format: 'npy', dtype: 'float16' }),
    },
    {
      name: 'npz stored float16',
      att: new FeatureDirectory(join(root, 'att16'), { format: 'npz', dtype: 'float16', compress: false }),
      fc: new FeatureDirectory(join(root, 'fc16'), { format: 'npy', dtype: 'float16' }),
    },
  ];
  const writeMs: Record<string, number> = {};
  for (const v of variants) {
    const written = await timedAsync(async () => {
      for (const im of images) {
        await v.att.put(im.id, await memoryAtt.get(im.id));
        await v.fc.put(im.id, await memoryFc.get(im.id));
      }
    });
    writeMs[v.name] = written.wallMs / images.length;
  }
  console.log(`\n## Features on disk (${IMAGES} images, att [K × ${DIM}] with K uniform in 10..100, fc [${DIM}])`);
  console.log('| format | att bytes/image | vs npz deflated float32 | write ms/image |');
  console.log('|---|---|---|---|');
  const base = dirBytes(variants[0]?.att.location as string);
  for (const v of variants) {
    const bytes = dirBytes(v.att.location);
    console.log(
      `| ${v.name} | ${Math.round(bytes / IMAGES)} | ${(bytes / base).toFixed(3)} | ${(writeMs[v.name] as number).toFixed(1)} |`,
    );
  }

  const runs: Array<{ name: string; att: FeatureStore; fc: FeatureStore; prefetch: number }> = [];
  for (const v of variants) for (const prefetch of [0, 2]) runs.push({ name: v.name, att: v.att, fc: v.fc, prefetch });
  runs.push({ name: 'memory', att: memoryAtt, fc: memoryFc, prefetch: 2 });
  const rates = new Map<string, number[]>();
  for (let repeat = 0; repeat < 3; repeat += 1) {
    for (const r of runs) {
      const loader = new CaptionLoader({
        cocotalk,
        labels,
        att: r.att,
        fc: r.fc,
        split: 'train',
        batchSize: 10,
        seqPerImg: 5,
        seed: repeat,
        prefetch: r.prefetch,
      });
      await loader.next(); // warm-up
      const { seconds } = await timedAsync(async () => {
        for (let b = 0; b < BATCHES; b += 1) await loader.next();
      });
      const key = `${r.name} | ${r.prefetch}`;
      rates.set(key, [...(rates.get(key) ?? []), BATCHES / seconds]);
    }
  }
  console.log(`\n## Loader: batches/s (batch 10 images × 5 captions, median of 3 runs of ${BATCHES} batches)`);
  console.log('| features | prefetch | batches/s | images/s |');
  console.log('|---|---|---|---|');
  for (const [key, values] of rates) {
    const m = median(values);
    console.log(`| ${key} | ${m.toFixed(1)} | ${(m * 10).toFixed(0)} |`);
  }
  const a = median(rates.get('npz deflated float32 | 2') ?? [0]);
  const b = median(rates.get('npz deflated float16 | 2') ?? [0]);
  const c = median(rates.get('npz deflated float32 | 0') ?? [0]);
  console.log(
    `ratio float16 / float32 ` +
      `(deflated, prefetch 2): ${(b / a).toFixed(2)}; prefetch 2 / 0 (deflated float32): ${(a / c).toFixed(2)}`,
  );
}

function karpathyMemoryBench(root: string): void {
  const flickr = join(here, '..', '..', '..', '..', 'shared', 'data', 'flickr8k', 'dataset_flickr8k.json.gz');
  let text: string;
  try {
    text = gunzipSync(
      readFileSync(
        process.env.CAPTION_SHARED_DATA
          ? join(process.env.CAPTION_SHARED_DATA, 'flickr8k', 'dataset_flickr8k.json.gz')
          : flickr,
      ),
    ).toString('utf8');
  } catch {
    console.log('\n(skipping the 144 MB Karpathy-file benchmark: ../shared/data/flickr8k is absent)');
    return;
  }
  const json = JSON.parse(text) as { images: Array<Record<string, unknown>> };
  const big: Array<Record<string, unknown>> = [];
  let bytes = 0;
  for (let copy = 0; bytes < 144e6; copy += 1) {
    for (const im of json.images) {
      const c = { ...im, imgid: big.length, cocoid: big.length, filepath: 'train2014' };
      big.push(c);
    }
    bytes = text.length * (copy + 1);
  }
  const path = join(root, 'dataset_big.json');
  writeFileSync(path, JSON.stringify({ images: big, dataset: 'coco' }));
  const size = statSync(path).size;
  console.log(
    `\n## Reading a ${(size / 1e6).toFixed(0)} MB Karpathy file (${big.length} images, ${big.length * 5} sentences), ` +
      `each mode ` +
      `in a fresh process`,
  );
  console.log('| mode | seconds | peak RSS MB | heap after GC MB |');
  console.log('|---|---|---|---|');
  const script = join(here, 'karpathy-memory.ts');
  for (const mode of ['parse-at-once', 'stream', 'stream-no-raw']) {
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', script, mode, path], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    });
    const r = JSON.parse(out.trim().split('\n').pop() as string) as {
      seconds: number;
      peakRssMb: number;
      heapMb: number;
    };
    console.log(`| ${mode} | ${r.seconds.toFixed(1)} | ${r.peakRssMb.toFixed(0)} | ${r.heapMb.toFixed(0)} |`);
  }
}

const root = mkdtempSync(join(tmpdir(), 'data-coco-bench-'));
try {
  await loaderBench(root);
  if (process.env.BENCH_SKIP_JSON !== '1') karpathyMemoryBench(root);
} finally {
  rmSync(root, { recursive: true, force: true });
}
