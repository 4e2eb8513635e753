/**
 * `npm run bench:demo-step -w @caption/example-aoanet`: AoANet's training steps at the demo's size (the
 * `shapes-aoanet-xe.yaml` / `shapes-aoanet-scst.yaml` models: width 64, 4 heads, 6-layer refiner, 93 words; batches of
 * 25 images × 5 captions of the shapes data), on one wasm thread as in the demo: milliseconds per cross-entropy
 * step and per self-critical step (greedy baseline, 5 samples per image), and the number of tfjs kernels each runs.
 * At this size a step is mostly tfjs's per-kernel engine work, so the kernel count is what to watch.
 *
 * Reads the data `npm run demo` prepared (`out/demo/data`, `out/shapes`); run the demo first. Untrained weights
 * (seed 1): the XE step's work does not depend on them; the self-critical samples of an untrained model end at
 * random lengths, so compare SCST figures only between runs of this script.
 *
 * Options: --steps N (timed steps of each kind after 3 warm-up steps; default 20) --only xe|scst
 * --batch-size N (images per batch instead of the configs') --profile (also the per-kernel table of one step, `tf.profile`)
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import type { CaptionBatch } from '@caption/data-coco';
import { Adam, computeGradients, initBackend, Random } from '@caption/core';
import { loadAverageText, median } from '@caption/bench-support';
import {
  crossEntropyLoss,
  makeLoader,
  openRunData,
  readRewardScorer,
  selfCriticalBaseline,
  selfCriticalStepLoss,
  trainOptionParser,
} from '@caption/example-common';
import { DEMO_DIRS } from './demo-data';
import { aoaFactory } from './factory';

const args = parseArgs({
  options: {
    steps: { type: 'string', default: '20' },
    only: { type: 'string' },
    'batch-size': { type: 'string' },
    profile: { type: 'boolean' },
  },
}).values;
const steps = Number(args.steps);
const shapesDir = join(DEMO_DIRS.out, '..', 'shapes');
const dataDir = join(DEMO_DIRS.out, 'data');
if (!existsSync(join(dataDir, 'cocotalk.json')) || !existsSync(join(shapesDir, 'shapesbu_att'))) {
  process.stderr.write(`bench:demo-step: no demo data in ${dataDir} and ${shapesDir}; run \`npm run demo\` first\n`);
  process.exit(2);
}
const paths = {
  inputJson: join(dataDir, 'cocotalk.json'),
  inputLabelH5: join(dataDir, 'cocotalk_label.h5'),
  inputAttDir: join(shapesDir, 'shapesbu_att'),
  inputBoxDir: join(shapesDir, 'shapesbu_box'),
  cachedTokens: join(dataDir, 'shapes-train-idxs'),
  fcFeatSize: 128,
  attFeatSize: 128,
  checkpointPath: join(DEMO_DIRS.out, 'bench-demo-step'),
};
const argv = args['batch-size'] === undefined ? [] : ['--batch-size', args['batch-size']];
const options = (config: string) =>
  trainOptionParser.parse({ argv, configFile: join(DEMO_DIRS.configs, config), defaults: paths }).values;

const backend = await initBackend('wasm', { quiet: true, threads: 1 });
const xeOptions = options('shapes-aoanet-xe.yaml');
const scstOptions = options('shapes-aoanet-scst.yaml');
const data = await openRunData(xeOptions, aoaFactory.uses, { splits: ['train'], cachedTokens: null, preload: true });
const scorer = await readRewardScorer(paths.cachedTokens);
console.log(
  `AoANet at the demo's size, ${xeOptions.batchSize} images per batch; ${backend.description}; ${loadAverageText()}`,
);

/** Runs `step` 3 times untimed, then `steps` times: wall and CPU milliseconds per step, and the kernels of one step. */
async function measure(name: string, step: () => Promise<tf.Tensor>): Promise<void> {
  for (let i = 0; i < 3; i++) tf.dispose(await step());
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    tf.dispose(await step());
    const c = process.cpuUsage(c0);
    wall.push(performance.now() - t0);
    cpu.push((c.user + c.system) / 1000);
  }
  const { kernels } = await tf.profile(async () => await step());
  console.log(
    `${name}: median ${median(wall).toFixed(1)} ms wall, ${median(cpu).toFixed(1)} ms CPU per step (${steps} steps); ` +
      `${kernels.length} kernels per step`,
  );
  if (args.profile === true) {
    const byName = new Map<string, { count: number; ms: number }>();
    for (const k of kernels) {
      const e = byName.get(k.name) ?? { count: 0, ms: 0 };
      e.count += 1;
      e.ms += k.kernelTimeMs as number;
      byName.set(k.name, e);
    }
    for (const [kernel, e] of [...byName].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25))
      console.log(`  ${kernel.padEnd(30)} ${String(e.count).padStart(6)} ${e.ms.toFixed(1).padStart(8)} ms`);
  }
}

/** The next training batch (the train loader wraps around: never null). */
async function nextBatch(loader: ReturnType<typeof makeLoader>): Promise<CaptionBatch> {
  const batch = await loader.next();
  if (batch === null) throw new Error('bench:demo-step: the training loader ended');
  return batch;
}

/** One training step of `model` with `loss` (computed inside the gradient scope), Adam included. */
function trainer(config: typeof xeOptions) {
  const model = aoaFactory.create(config, data.shape, new Random(1));
  const optimizer = new Adam(model, { learningRate: config.learningRate });
  const loader = makeLoader(data, 'train', { batchSize: config.batchSize, seqPerImg: config.seqPerImg, seed: 1 });
  return { model, optimizer, loader };
}

const rng = new Random(3);
if (args.only === undefined || args.only === 'xe') {
  const { model, optimizer, loader } = trainer(xeOptions);
  await measure('XE step', async () => {
    const batch = await nextBatch(loader);
    model.train();
    const { loss, grads } = computeGradients(model, () =>
      crossEntropyLoss(model, aoaFactory, batch, { labelSmoothing: xeOptions.labelSmoothing, ssProb: 0, rng }),
    );
    optimizer.step(grads);
    loss.dataSync();
    tf.dispose([...grads.values()]);
    return loss;
  });
}
if (args.only === undefined || args.only === 'scst') {
  const { model, optimizer, loader } = trainer(scstOptions);
  const scst = {
    scorer,
    baseline: scstOptions.scBaseline,
    samplesPerImage: scstOptions.seqPerImg,
    maxLength: scstOptions.maxLength,
    ciderRewardWeight: scstOptions.ciderRewardWeight,
  };
  await measure('SCST step', async () => {
    const batch = await nextBatch(loader);
    const decoded = selfCriticalBaseline(model, aoaFactory, batch, scst);
    model.train();
    const { loss, grads } = computeGradients(
      model,
      () => selfCriticalStepLoss(model, aoaFactory, decoded, { ...scst, rng }).loss,
    );
    optimizer.step(grads);
    loss.dataSync();
    tf.dispose([...grads.values()]);
    return loss;
  });
}
