/**
 * `npm run bench:clip -w @caption/models-clipcap`: CLIP training steps (forward, backward, AdamW, logit-scale
 * clamp) and image-encoder forwards at the sizes of a CLIP trained on the shapes data (64×64 images, batch 32,
 * captions of up to 24 tokens, CLIP's 49,408-token vocabulary), for each image tower, on one backend.
 * Prints medians over the timed runs (after one warm-up) and the load average.
 *
 * Options: --runs=N (default 5) --batch=N (default 32) --backend=wasm|cpu (default wasm)
 */
import * as tf from '@tensorflow/tfjs-core';
import { AdamW, computeGradients, initBackend, Random, type ResolvedBackendKind } from '@caption/core';
import { formatMs, loadAverageText, markdownTable, median, timed } from '@caption/bench-support';
import { ClipModel, type ClipModelConfig, type ClipVisionConfig } from '../src/index';

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=', 2) as [string, string | undefined];
    return [k, v ?? ''];
  }),
);
const runs = Number(args.get('runs') ?? 5);
const batch = Number(args.get('batch') ?? 32);
const backend = (args.get('backend') ?? 'wasm') as ResolvedBackendKind;
const CONTEXT = 24;

const TOWERS: Record<string, ClipVisionConfig> = {
  'ViT (patch 8, width 128, 4 layers)': {
    type: 'vit',
    inputResolution: 64,
    patchSize: 8,
    width: 128,
    layers: 4,
    heads: 4,
  },
  'ModifiedResNet (width 32, [1,1,1,1])': {
    type: 'resnet',
    inputResolution: 64,
    layers: [1, 1, 1, 1],
    width: 32,
    heads: 4,
  },
  'Res2NeXt (width 16, [1,1,1,1], 8×4)': {
    type: 'res2next',
    inputResolution: 64,
    layers: [1, 1, 1, 1],
    baseWidth: 16,
    cardinality: 4,
    scale: 4,
    width: 16,
  },
};

await initBackend(backend, { quiet: true });
const rng = new Random(0);
const rows: string[][] = [];
for (const [name, vision] of Object.entries(TOWERS)) {
  const config: ClipModelConfig = {
    embedDim: 128,
    vision,
    text: { type: 'clip', contextLength: 77, vocabSize: 49408, width: 128, heads: 4, layers: 4 },
  };
  const model = new ClipModel(config, { rng });
  const images = tf.randomNormal([batch, 3, 64, 64], 0, 1, 'float32', 1) as tf.Tensor4D;
  const ids = new Int32Array(batch * CONTEXT);
  for (let i = 0; i < batch; i++) {
    const length = 8 + (i % 14);
    ids[i * CONTEXT] = 49406;
    for (let j = 1; j < length; j++) ids[i * CONTEXT + j] = 1 + ((i * 131 + j * 17) % 40000);
    ids[i * CONTEXT + length] = 49407;
  }
  const text = tf.tensor2d(ids, [batch, CONTEXT], 'int32');
  const optimizer = new AdamW(model, { learningRate: 3e-4, weightDecay: 0.01 });
  const step = () => {
    const { loss, grads } = computeGradients(model, () => model.loss(images, text));
    optimizer.step(grads);
    model.clampLogitScale();
    tf.dispose([loss, ...grads.values()]);
  };
  const forward = () => tf.tidy(() => model.encodeImage(images).dataSync());
  const encodeText = () => tf.tidy(() => model.encodeText(text).dataSync());
  step();
  forward();
  encodeText();
  const tensorsBefore = tf.memory().numTensors;
  const stepMs = Array.from({ length: runs }, () => timed(step).wallMs);
  const forwardMs = Array.from({ length: runs }, () => timed(forward).wallMs);
  const textMs = Array.from({ length: runs }, () => timed(encodeText).wallMs);
  const leaked = tf.memory().numTensors - tensorsBefore;
  rows.push([
    name,
    `${(model.trainableParameterCount() / 1e6).toFixed(2)} M`,
    formatMs(median(stepMs)),
    formatMs(median(forwardMs)),
    formatMs(median(textMs)),
    String(leaked),
  ]);
  tf.dispose([images, text]);
  model.dispose();
}
console.log(`CLIP on ${backend}, batch ${batch}, 64×64 images, ${CONTEXT} text positions, medians of ${runs} runs`);
console.log(
  markdownTable(['image tower', 'trainable', 'train step', 'encodeImage', 'encodeText', 'tensors leaked'], rows),
);
console.log(`load average: ${loadAverageText()}`);
