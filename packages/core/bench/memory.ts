/**
 * `npm run bench:memory -w @caption/core`: the wasm heap's high-water mark after training steps of the benchmark
 * captioner at several batch sizes (one fresh process each: the heap never shrinks), next to
 * `estimateCaptionerStepBytes`. This is how the estimate's constants were calibrated.
 *
 * Options: --batches=10,25,50,100 (default) --steps=2 (training steps) --vocab=9487
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/init-backend';
import { asWasmBackend } from '../src/backend/kernels/wasm-internals';
import { estimateCaptionerStepBytes } from '../src/backend/memory';
import { Adam } from '../src/optim/adam';
import { SOURCE_CHILD_NODE_ARGS } from '../src/testing/source-child';
import { BenchCaptioner, FULL_CONFIG } from './captioner';

const MiB = 2 ** 20;

async function child(batch: number, steps: number, vocab: number): Promise<void> {
  await initBackend('wasm', { quiet: true });
  const config = { ...FULL_CONFIG, batch, vocab };
  const model = new BenchCaptioner(config);
  const data = model.batch();
  const optimizer = new Adam(
    model.variables.map((v) => [v.name, v] as const),
    { learningRate: 5e-4 },
  );
  const before = tf.memory().numBytes;
  for (let k = 1; k <= steps; k++) {
    const { value, grads } = tf.variableGrads(() => model.loss(data), model.variables);
    optimizer.step(grads);
    tf.dispose([value, ...Object.values(grads)]);
  }
  const heap = asWasmBackend(tf.engine().backend).wasm.HEAPU8.byteLength;
  process.stdout.write(`${JSON.stringify({ batch, heap, before })}\n`);
}

function main(): void {
  const args = Object.fromEntries(
    process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]),
  );
  if (args['child'] !== undefined) {
    void child(Number(args['child']), Number(args['steps'] ?? 2), Number(args['vocab'] ?? FULL_CONFIG.vocab));
    return;
  }
  const batches = (args['batches'] ?? '10,25,50,100').split(',').map(Number);
  const script = fileURLToPath(import.meta.url);
  console.log('batch  heap high-water  live before step  estimate (total / fixed)');
  for (const batch of batches) {
    const vocab = Number(args['vocab'] ?? FULL_CONFIG.vocab);
    const run = spawnSync(
      process.execPath,
      [...SOURCE_CHILD_NODE_ARGS, script, `--child=${batch}`, `--steps=${args['steps'] ?? 2}`, `--vocab=${vocab}`],
      {
        encoding: 'utf8',
        maxBuffer: 1 << 20,
      },
    );
    const line = run.stdout.trim().split('\n').pop() ?? '';
    if (run.status !== 0 || !line.startsWith('{')) {
      console.log(
        `${String(batch).padStart(5)}  failed: ${(run.stderr.split('\n').find((l) => l.includes('Aborted') || l.includes('Error')) ?? '').slice(0, 120)}`,
      );
      continue;
    }
    const { heap, before } = JSON.parse(line) as { heap: number; before: number };
    const estimate = estimateCaptionerStepBytes({
      batch,
      steps: FULL_CONFIG.steps,
      vocab,
      hidden: FULL_CONFIG.hidden,
      regions: FULL_CONFIG.regions,
      featureDim: FULL_CONFIG.featureDim,
    });
    console.log(
      `${String(batch).padStart(5)}  ${(heap / MiB).toFixed(0).padStart(9)} MiB  ${(before / MiB).toFixed(0).padStart(11)} MiB  ` +
        `${(estimate.totalBytes / MiB).toFixed(0).padStart(8)} / ${(estimate.fixedBytes / MiB).toFixed(0)} MiB`,
    );
  }
}

main();
