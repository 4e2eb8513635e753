/**
 * `npm run bench -w @caption/models-aoa`: AoANet at the reference's full size (train.sh: rnn 1024, 8 heads,
 * refiner, vocabulary 9,487; 10 images × 5 captions, 36 regions × 2048 features, labels of 8–16 words),
 * on the wasm backend: one XE training step, one self-critical step, greedy and beam-3 decoding per image,
 * each with its analytic matmul FLOPs and GFLOP/s. The same measurements of the PyTorch reference, run
 * beside it on the same machine, are `npm run bench:pytorch` (bench/pytorch.ts).
 *
 * Options: --runs=N timed runs after one warm-up (default 3) --only=xe,scst,greedy,beam --backend=wasm|cpu
 * --threads=N (wasm threads; default: initBackend's, the machine's cores) --json=FILE (also write the
 * results as JSON) --scst-micro-batches=N (default 1; N > 1 accumulates the SCST gradients over N groups of
 * images, for inputs whose whole-batch step would not fit into the 4 GiB wasm heap, e.g. 100 regions per image)
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import {
  Adam,
  beamSearch,
  clipGradientsByValue,
  computeGradients,
  greedyDecode,
  initBackend,
  labelSmoothingLoss,
  Random,
  selfCriticalLoss,
  type ResolvedBackendKind,
} from '@caption/core';
import { formatMs, loadAverageText, markdownTable, median, timed } from '@caption/bench-support';
import { type AoAFeatures, AoAModel } from '../src/index';
import { decodeFlops, teacherForcedFlops } from './flops';
import type { BenchResult, BenchRow, Timing } from './results';

const IMAGES = 10;
const SEQ_PER_IMG = 5;
const REGIONS = 36;
const LABEL_WIDTH = 16 + 2;
const MAX_LENGTH = 20;

interface Options {
  runs: number;
  /** wasm threads (undefined: initBackend's default) */
  threads: number | undefined;
  /** where to write the results as JSON */
  json: string | null;
  /** SCST gradient accumulation over this many groups of images (default 1: the whole batch peaks at ~3.3 GiB of heap). */
  scstMicroBatches: number;
  only: Set<string>;
  backend: ResolvedBackendKind;
}

function parseOptions(argv: string[]): Options {
  const options: Options = {
    runs: 3,
    threads: undefined,
    json: null,
    scstMicroBatches: 1,
    only: new Set(['xe', 'scst', 'greedy', 'beam']),
    backend: 'wasm',
  };
  for (const arg of argv) {
    const [key, value] = arg.split('=', 2) as [string, string | undefined];
    if (key === '--runs' && value) options.runs = Number(value);
    else if (key === '--only' && value) options.only = new Set(value.split(','));
    else if (key === '--backend' && value) options.backend = value as ResolvedBackendKind;
    else if (key === '--scst-micro-batches' && value) options.scstMicroBatches = Number(value);
    else if (key === '--threads' && value) options.threads = Number(value);
    else if (key === '--json' && value) options.json = value;
    else
      throw new Error(
        `unknown option ${arg} (known: --runs=N --only=xe,scst,greedy,beam --backend=wasm|cpu --threads=N --json=FILE --scst-micro-batches=1|2|5)`,
      );
  }
  return options;
}

/** Uniform [0, 1) region features (as the reference timing) and labels of 8–16 words, one of them 16. */
function makeInputs(rng: Random, vocab: number): { features: AoAFeatures; labels: tf.Tensor2D; masks: tf.Tensor2D } {
  const att = new Float32Array(IMAGES * REGIONS * 2048);
  for (let i = 0; i < att.length; i++) att[i] = rng.next();
  const rows = IMAGES * SEQ_PER_IMG;
  const labels = new Int32Array(rows * LABEL_WIDTH);
  const masks = new Float32Array(rows * LABEL_WIDTH);
  for (let r = 0; r < rows; r++) {
    const words = r === 0 ? 16 : 8 + rng.nextInt(9);
    for (let t = 1; t <= words; t++) labels[r * LABEL_WIDTH + t] = 1 + rng.nextInt(vocab);
    for (let t = 0; t < words + 2; t++) masks[r * LABEL_WIDTH + t] = 1;
  }
  return {
    features: { att: tf.tensor3d(att, [IMAGES, REGIONS, 2048]) },
    labels: tf.tensor2d(labels, [rows, LABEL_WIDTH], 'int32'),
    masks: tf.tensor2d(masks, [rows, LABEL_WIDTH]),
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const loadAtStart = loadavg();
  const info = await initBackend(options.backend, { quiet: true, threads: options.threads });
  const rng = new Random(2024);
  const built = timed(() => AoAModel.fromReferenceOptions({ vocabSize: 9487 }, { rng }));
  const model = built.value;
  const c = model.config;
  console.log(`backend: ${info.description}`);
  console.log(
    `AoANet train.sh size: ${model.parameterCount().toLocaleString('en')} parameters ` +
      `(built in ${formatMs(built.wallMs)})`,
  );
  // Our untrained model ends its captions at once; PyTorch's untrained one ran all 20 steps in the reference
  // timing. A −10⁴ logit bias on the end token makes every decode (greedy, samples, beams) run 20 steps too.
  tf.tidy(() =>
    model.logit.bias?.assign(tf.concat([tf.fill([1], -1e4), tf.slice(model.logit.bias, [1], [c.vocabSize])])),
  );
  const { features, labels, masks } = makeInputs(rng, c.vocabSize);
  const rows = IMAGES * SEQ_PER_IMG;
  const target = tf.slice(labels, [0, 1], [rows, LABEL_WIDTH - 1]);
  const targetMask = tf.slice(masks, [0, 1], [rows, LABEL_WIDTH - 1]);
  const optimizer = new Adam(model, { learningRate: 2e-4 });
  const results: BenchRow[] = [];
  const steps = LABEL_WIDTH - 1; // the longest caption has 16 words: 17 steps run
  const memory = () => {
    const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8?.byteLength;
    const wasm = heap === undefined ? '' : `, wasm heap ${(heap / 2 ** 30).toFixed(2)} of 4 GiB`;
    return (
      `${(tf.memory().numBytes / 2 ** 20).toFixed(0)} MiB in ` +
      `tensors${wasm}, RSS ${(process.memoryUsage().rss / 2 ** 30).toFixed(2)} GiB`
    );
  };

  const repeat = (name: string, f: () => void): Timing[] => {
    const warm = timed(f);
    console.log(`  ${name}: warm-up ${formatMs(warm.wallMs)} (${memory()})`);
    const out: Timing[] = [];
    for (let i = 0; i < options.runs; i++) {
      const t = timed(f);
      console.log(`  ${name}: run ${i + 1}/${options.runs} ${formatMs(t.wallMs)} wall, ${formatMs(t.cpuMs)} cpu`);
      out.push(t);
    }
    return out;
  };

  if (options.only.has('xe')) {
    const xeStep = () => {
      model.train();
      // logits and the fused log-softmax + label-smoothed loss (same loss and gradients as log-probs + the loss)
      const { loss, grads } = computeGradients(model, () =>
        labelSmoothingLoss(model.forward(features, labels, { output: 'logits' }), target, targetMask, 0.2, {
          input: 'logits',
        }),
      );
      const clipped = clipEach(grads, 0.1);
      optimizer.step(clipped);
      loss.dataSync();
      tf.dispose([loss, ...clipped.values()]);
    };
    const f = teacherForcedFlops(c, { images: IMAGES, rows, steps, regions: REGIONS });
    results.push({
      key: 'xe_train_step_ms',
      name: 'XE step (label smoothing 0.2, fwd + bwd, clip 0.1, Adam)',
      runs: repeat('XE step', xeStep),
      flops: f.forward + f.backward,
      note: `${rows} captions, ${steps} steps`,
    });
  }

  if (options.only.has('scst')) {
    const sampleRng = new Random(5);
    let sampledSteps = 0;
    let greedySteps = 0;
    const parts = options.scstMicroBatches;
    const scstStep = () => {
      model.eval();
      const greedy = greedyDecode(model, features, { maxLength: MAX_LENGTH });
      greedySteps = stepsRun(greedy.tokens, IMAGES, MAX_LENGTH);
      model.train();
      // Sampling and the policy gradient in one pass, as the reference; a fixed random reward stands in for
      // CIDEr-D. With micro-batches (gradient accumulation over groups of images) each part's loss is the
      // un-normalised sum, and the total is divided by the whole batch's mask count, so the gradient is the
      // full batch's.
      let total: Map<string, tf.Tensor> | null = null;
      let maskCount = 0;
      sampledSteps = 0;
      const perPart = IMAGES / parts;
      for (let p = 0; p < parts; p++) {
        const part = { att: tf.slice(features.att, [p * perPart, 0, 0], [perPart, REGIONS, 2048]) };
        const partRows = perPart * SEQ_PER_IMG;
        const { loss, grads } = computeGradients(model, () => {
          const samples = model.selfCriticalSample(part, {
            rng: sampleRng,
            samplesPerImage: SEQ_PER_IMG,
            maxLength: MAX_LENGTH,
          });
          sampledSteps = Math.max(sampledSteps, stepsRun(samples.tokens, partRows, MAX_LENGTH));
          const count = rewardMaskCount(samples.tokens, partRows, MAX_LENGTH);
          maskCount += count;
          const seq = tf.tensor2d(samples.tokens, [partRows, MAX_LENGTH], 'int32');
          const advantages = tf.tensor1d(Array.from({ length: partRows }, () => sampleRng.next() - 0.5));
          return tf.mul(selfCriticalLoss(samples.logprobs, seq, advantages), count) as tf.Scalar;
        });
        loss.dataSync();
        tf.dispose([loss, part.att]);
        total = total === null ? grads : accumulate(total, grads);
      }
      const scale = 1 / maskCount;
      const clipped = clipEach(
        new Map([...(total as Map<string, tf.Tensor>)].map(([n, g]) => [n, tf.tidy(() => tf.mul(g, scale))])),
        0.1,
      );
      tf.dispose([...(total as Map<string, tf.Tensor>).values()]);
      optimizer.step(clipped);
      tf.dispose([...clipped.values()]);
    };
    const runs = repeat('SCST step', scstStep);
    const sampled = teacherForcedFlops(c, { images: IMAGES, rows, steps: sampledSteps, regions: REGIONS });
    const flops =
      decodeFlops(c, { images: IMAGES, rows: IMAGES, steps: greedySteps, regions: REGIONS }) +
      sampled.forward +
      sampled.backward;
    results.push({
      key: 'self_critical_step_ms',
      name: `SCST step (greedy baseline + 5 samples/image + fwd/bwd${parts > 1 ? ` in ${parts} micro-batches` : ''}, clip, Adam)`,
      runs,
      flops,
      note: `greedy ${greedySteps} steps, samples ${sampledSteps} steps`,
    });
  }

  if (options.only.has('greedy')) {
    model.eval();
    let greedySteps = 0;
    const runs = repeat('greedy', () => {
      greedySteps = stepsRun(greedyDecode(model, features, { maxLength: MAX_LENGTH }).tokens, IMAGES, MAX_LENGTH);
    });
    results.push({
      key: 'greedy_decode_ms_per_image_batch10',
      name: 'greedy decode, per image (batch of 10)',
      runs: runs.map((t) => ({ wallMs: t.wallMs / IMAGES, cpuMs: t.cpuMs / IMAGES })),
      flops: decodeFlops(c, { images: IMAGES, rows: IMAGES, steps: greedySteps, regions: REGIONS }) / IMAGES,
      note: `${greedySteps} steps`,
    });
  }

  if (options.only.has('beam')) {
    model.eval();
    const runs = repeat('beam-3', () => void beamSearch(model, features, { beamSize: 3, maxLength: MAX_LENGTH }));
    results.push({
      key: 'beam3_decode_ms_per_image_batch10',
      name: 'beam search (3), per image (batch of 10)',
      runs: runs.map((t) => ({ wallMs: t.wallMs / IMAGES, cpuMs: t.cpuMs / IMAGES })),
      flops: decodeFlops(c, { images: IMAGES, rows: 3 * IMAGES, steps: MAX_LENGTH, regions: REGIONS }) / IMAGES,
      note: `${MAX_LENGTH} steps`,
    });
  }

  console.log(
    `\n${info.description}; medians of ${options.runs} runs after ` +
      `one warm-up; ${memory()}; load average ${loadAverageText()}`,
  );
  const header = [
    'measurement',
    'median wall',
    'median cpu',
    'GFLOP (analytic)',
    'GFLOP/s wall',
    'GFLOP/s cpu',
    'notes',
  ];
  const rowsOut = results.map((r) => {
    const wall = median(r.runs.map((t) => t.wallMs));
    const cpu = median(r.runs.map((t) => t.cpuMs));
    const gflop = r.flops / 1e9;
    return [
      r.name,
      formatMs(wall),
      formatMs(cpu),
      gflop.toFixed(1),
      (gflop / (wall / 1000)).toFixed(1),
      (gflop / (cpu / 1000)).toFixed(1),
      r.note,
    ];
  });
  console.log(markdownTable(header, rowsOut));
  if (options.json !== null) {
    const out: BenchResult = {
      date: new Date().toISOString(),
      backend: info.description,
      threads: info.threads,
      runs: options.runs,
      loadAverage: { start: loadAtStart, end: loadavg() },
      rows: results,
    };
    writeFileSync(options.json, `${JSON.stringify(out, null, 2)}\n`);
  }
  tf.dispose([features.att, labels, masks, target, targetMask]);
  optimizer.dispose?.();
  model.dispose();
}

/**
 * `clip_gradient` (clamp to [−c, c]) one parameter at a time, freeing each raw gradient at once, so the
 * step never holds two full gradient sets (85.6M floats each) in the 4 GiB wasm heap.
 */
function clipEach(grads: Map<string, tf.Tensor>, c: number): Map<string, tf.Tensor> {
  const clipped = new Map<string, tf.Tensor>();
  for (const [name, g] of grads) {
    clipped.set(name, clipGradientsByValue(new Map([[name, g]]), c).get(name) as tf.Tensor);
    g.dispose();
  }
  return clipped;
}

/** Adds `more` into `total` (both by parameter name), disposing both inputs' tensors. */
function accumulate(total: Map<string, tf.Tensor>, more: Map<string, tf.Tensor>): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const [name, g] of total) {
    const extra = more.get(name);
    out.set(name, extra === undefined ? g : tf.add(g, extra));
    if (extra !== undefined) tf.dispose([g, extra]);
  }
  return out;
}

/**
 * Positions the reward criterion counts: each row's tokens up to and including its first 0 (`RewardCriterion`'s mask).
 */
function rewardMaskCount(tokens: Int32Array, rows: number, maxLength: number): number {
  let count = 0;
  for (let r = 0; r < rows; r++) {
    count += 1;
    for (let t = 0; t < maxLength - 1 && tokens[r * maxLength + t] !== 0; t++) count += 1;
  }
  return count;
}

/** Steps a decode ran: the longest caption, end token included (or `maxLength`). */
function stepsRun(tokens: Int32Array, rows: number, maxLength: number): number {
  let longest = 0;
  for (let r = 0; r < rows; r++) {
    let n = 0;
    while (n < maxLength && tokens[r * maxLength + n] !== 0) n++;
    longest = Math.max(longest, Math.min(maxLength, n + 1));
  }
  return longest;
}

await main();
