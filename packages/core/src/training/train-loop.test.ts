import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Adam } from '../optim/adam';
import { ReduceLROnPlateau } from '../optim/schedules';
import { Random } from '../random';
import { SOURCE_CHILD_NODE_ARGS } from '../testing/source-child';
import { CheckpointStore, readCheckpoint } from './checkpoint';
import { NonFiniteLossError, TensorLeakError } from './errors';
import { GracefulStop } from './signals';
import { type CaptionBatch, CaptionSource, temporaryDirectories, TinyCaptioner } from './test-fixtures';
import { trainLoop, type TrainLoopOptions } from './train-loop';

const here = dirname(fileURLToPath(import.meta.url));
const temporary = temporaryDirectories('caption-train-');
const tempDir = temporary.make;
afterEach(temporary.cleanup);

beforeAll(async () => {
  await tf.ready();
});

/** Collects what the loop prints. */
function sink(): { write(text: string): void; text(): string } {
  let buffer = '';
  return { write: (t) => void (buffer += t), text: () => buffer };
}

function setup(seed = 1): { model: TinyCaptioner; optimizer: Adam; data: CaptionSource; rng: Random } {
  const model = new TinyCaptioner(
    { vocabSize: 12, features: 6, embed: 8, hidden: 16, dropout: 0.25 },
    { rng: new Random(seed) },
  );
  return {
    model,
    optimizer: new Adam(model, { learningRate: 0.01 }),
    data: new CaptionSource(30, 5, 6, 12, seed),
    rng: new Random(seed + 100),
  };
}

function base(
  s: ReturnType<typeof setup>,
  extra: Partial<TrainLoopOptions<CaptionBatch>>,
): TrainLoopOptions<CaptionBatch> {
  return {
    model: s.model,
    optimizer: s.optimizer,
    data: s.data,
    loss: (batch) => s.model.loss(batch),
    rng: s.rng,
    stop: false,
    progress: { mode: 'silent' },
    ...extra,
  };
}

function weightBytes(model: TinyCaptioner): number[][] {
  return model
    .namedParameters()
    .map(([, v]) => Array.from(new Uint8Array((v.dataSync() as Float32Array).slice().buffer)));
}

interface ChildRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs fixtures/train-child.ts; `onLine` sees every stdout line (to send signals). */
function runChild(args: string[], onLine?: (line: string, child: ReturnType<typeof spawn>) => void): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...SOURCE_CHILD_NODE_ARGS, join(here, 'fixtures', 'train-child.ts'), ...args],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env },
      },
    );
    let stdout = '';
    let stderr = '';
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) onLine?.(line, child);
    });
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('trainLoop', () => {
  it('a run killed with SIGTERM mid-epoch and resumed ends with the same weights as an uninterrupted run (real child processes)', async () => {
    const full = tempDir();
    const broken = tempDir();
    const fresh = await runChild([full, join(full, 'final.safetensors'), 'fresh']);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stdout).toContain('DONE max-epochs step 10');

    let signalled = false;
    const stopped = await runChild([broken, join(broken, 'unused.safetensors'), 'pause-at', '7'], (line, child) => {
      if (line === 'PAUSED' && !signalled) {
        signalled = true;
        child.kill('SIGTERM');
      }
    });
    expect(signalled).toBe(true);
    // 143 = 128 + SIGTERM: a stopped run is not a success (`train xe && train scst` must not go on)
    expect(stopped.code, stopped.stderr).toBe(143);
    expect(stopped.stdout).toContain('received SIGTERM: finishing the current step');
    expect(stopped.stdout).not.toContain('DONE');
    // the step that was waiting for its batch finished, then the run saved and exited: mid-epoch 1
    const saved = new CheckpointStore(broken).load('latest')!;
    expect(saved.state).toMatchObject({ step: 8, epoch: 1, stepInEpoch: 3 });

    const resumed = await runChild([broken, join(broken, 'final.safetensors'), 'resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('resumed from');
    expect(resumed.stdout).toContain('DONE max-epochs step 10');
    const a = readFileSync(join(full, 'final.safetensors'));
    const b = readFileSync(join(broken, 'final.safetensors'));
    expect(b.equals(a)).toBe(true);
    // and the final checkpoints agree with the final weights
    const finalState = readCheckpoint(new CheckpointStore(full).resolve('latest')!).state;
    expect(finalState).toMatchObject({ step: 10, epoch: 2, stepInEpoch: 0 });
  }, 60_000);

  it('tf.memory().numTensors is the same after step 1 and after step 100', async () => {
    const s = setup(2);
    const counts = new Map<number, number>();
    await trainLoop(
      base(s, {
        maxSteps: 100,
        gradientClip: { value: 1, norm: 2 },
        learningRate: ({ step }) => 0.01 / (1 + step),
        leakCheck: true,
        onStep: ({ step }) => void counts.set(step, tf.memory().numTensors),
      }),
    );
    expect(counts.get(1)).toBeGreaterThan(0);
    expect(counts.get(100)).toBe(counts.get(1));
    s.model.dispose();
    s.optimizer.dispose();
  });

  it('leakCheck names the step at which tensors start to leak', async () => {
    const s = setup(3);
    let kept: tf.Tensor[] = [];
    const run = trainLoop(
      base(s, {
        maxSteps: 5,
        leakCheck: true,
        onStep: ({ step }) => {
          if (step >= 2) kept.push(tf.zeros([1])); // forgotten tensor
        },
      }),
    );
    await expect(run).rejects.toThrow(TensorLeakError);
    await expect(run).rejects.toThrow(/after step 3/);
    tf.dispose(kept);
    kept = [];
    s.model.dispose();
    s.optimizer.dispose();
  });

  it('stops on a NaN loss naming the step, the batch ids and the last good checkpoint, without applying the update', async () => {
    const s = setup(4);
    const dir = tempDir();
    let before: number[][] = [];
    const run = trainLoop(
      base(s, {
        maxEpochs: 5,
        checkpoints: dir,
        loss: (batch, { step }) => {
          if (step === 8) {
            before = weightBytes(s.model);
            return tf.div(s.model.loss(batch), 0) as tf.Scalar;
          }
          return s.model.loss(batch);
        },
      }),
    );
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteLossError);
    const details = (error as NonFiniteLossError).details;
    const lastGood = new CheckpointStore(dir).resolve('latest');
    expect(details).toMatchObject({ step: 9, epoch: 1, quantity: 'loss', lastCheckpoint: lastGood });
    expect(details.batchIds!.length).toBeGreaterThan(0);
    expect((error as Error).message).toContain(`step 9 (epoch 1); batch ids: ${details.batchIds!.join(', ')}`);
    expect((error as Error).message).toContain(`last good checkpoint: ${lastGood}`);
    expect(weightBytes(s.model)).toEqual(before);
    s.model.dispose();
    s.optimizer.dispose();
  });

  it('stops when the gradient norm is not finite although the loss is', async () => {
    const s = setup(7);
    const run = trainLoop(
      base(s, {
        maxSteps: 3,
        gradientClip: { norm: 1 },
        // sqrt(w − w) is 0, but its gradient is 0 · ∞ = NaN
        loss: (batch) =>
          tf.add(s.model.loss(batch), tf.sum(tf.sqrt(tf.sub(s.model.logit.weight, s.model.logit.weight)))) as tf.Scalar,
      }),
    );
    await expect(run).rejects.toThrow(/gradient norm is NaN at step 1 \(epoch 0\)/);
    s.model.dispose();
    s.optimizer.dispose();
  });

  it('stops on a non-finite gradient of a finite loss without norm clipping, and with clipping by value', async () => {
    // without the check, the first run's NaN gradient made every weight NaN silently, and the second's
    // infinite gradient (d/dw √(w − c) at w = c, c a constant copy) was clamped to 0.1 by the value clipping
    // and applied
    const cases = [
      {
        clip: {},
        extra: (w: tf.Tensor) => tf.sum(tf.sqrt(tf.sub(w, w))),
        message: /gradient norm is NaN at step 1 \(epoch 0\)/,
      },
      {
        clip: { value: 0.1 },
        extra: (w: tf.Tensor) => tf.sum(tf.sqrt(tf.sub(w, tf.tensor(w.dataSync(), w.shape)))),
        message: /gradient norm is (NaN|Infinity) at step 1 \(epoch 0\)/,
      },
    ];
    for (const c of cases) {
      const s = setup(7);
      const before = weightBytes(s.model);
      const run = trainLoop(
        base(s, {
          maxSteps: 3,
          gradientClip: c.clip,
          loss: (batch) => tf.add(s.model.loss(batch), c.extra(s.model.logit.weight)) as tf.Scalar,
        }),
      );
      await expect(run).rejects.toThrow(c.message);
      expect(weightBytes(s.model)).toEqual(before);
      s.model.dispose();
      s.optimizer.dispose();
    }
  });

  it('draws a progress bar on a terminal', async () => {
    const s = setup(8);
    let output = '';
    const tty = Object.assign(
      new Writable({ write: (chunk: Buffer, _enc, done) => ((output += chunk.toString()), done()) }),
      { isTTY: true, columns: 120 },
    );
    await trainLoop(base(s, { maxEpochs: 1, progress: { mode: 'auto', stream: tty } }));
    expect(output).toMatch(/epoch 0 \|[█░]+\| 6\/6 \| loss \d+\.\d{4} \| ppl \d+\.\d{2} \| lr 1\.00e-2 \| \d+ tok\/s/);
    s.model.dispose();
    s.optimizer.dispose();
  });

  it('keeps the best checkpoint by validation score, saves components, and resumes them', async () => {
    const dir = tempDir();
    const s = setup(5);
    const plateau = new ReduceLROnPlateau(0.01, { mode: 'max', patience: 0, factor: 0.5 });
    const scores = [0.5, 0.7, 0.6, 0.65];
    const out = sink();
    const result = await trainLoop(
      base(s, {
        maxEpochs: 4,
        checkpoints: dir,
        components: { plateau },
        learningRate: () => plateau.learningRate,
        onEpochEnd: ({ epoch }) => {
          const score = scores[epoch - 1]!;
          plateau.step(score);
          return { score };
        },
        progress: { mode: 'lines', every: 3, stream: out },
        config: { experiment: 'best-test' },
      }),
    );
    expect(result).toMatchObject({ reason: 'max-epochs', step: 24, epoch: 4, bestScore: 0.7 });
    const store = new CheckpointStore(dir);
    expect(store.pointer('best')).toMatchObject({ step: 12, bestScore: 0.7 });
    expect(store.pointer('latest')).toMatchObject({ step: 24 });
    const latest = store.load('latest')!;
    expect(latest.state.components.plateau).toEqual(plateau.getState());
    expect(latest.state.config).toEqual({ experiment: 'best-test' });
    expect(plateau.learningRate).toBeCloseTo(0.0025, 12);
    // plain progress lines: every 3 steps, with loss, perplexity, lr and throughput
    const lines = out
      .text()
      .split('\n')
      .filter((l) => l.startsWith('step '));
    expect(lines.length).toBe(8);
    expect(lines[0]).toMatch(
      /^step 3 \| epoch 0 \(3\/6\) \| loss \d+\.\d{4} \| ppl \d+\.\d{2} \| lr 1\.00e-2 \| \d+ tok\/s \| \d+\.\d{3} s\/step$/,
    );
    // resuming restores the component and continues the step count
    const s2 = setup(5);
    const plateau2 = new ReduceLROnPlateau(0.01, { mode: 'max', patience: 0, factor: 0.5 });
    const more = await trainLoop(
      base(s2, { maxEpochs: 5, checkpoints: dir, resume: true, components: { plateau: plateau2 } }),
    );
    expect(more).toMatchObject({ step: 30, epoch: 5, bestScore: 0.7 });
    expect(plateau2.getState()).toEqual(plateau.getState());
    for (const x of [s, s2]) {
      x.model.dispose();
      x.optimizer.dispose();
    }
  });

  it('a stop request finishes the step, saves, and returns (exitOnStop: false)', async () => {
    const dir = tempDir();
    const s = setup(6);
    const stop = new GracefulStop({ log: () => undefined });
    const result = await trainLoop(
      base(s, {
        maxEpochs: 10,
        checkpoints: dir,
        stop,
        exitOnStop: false,
        onStep: ({ step }) => {
          if (step === 4) stop.request('SIGINT');
        },
      }),
    );
    expect(result).toMatchObject({ reason: 'stopped', step: 4, signal: 'SIGINT' });
    expect(new CheckpointStore(dir).pointer('latest')).toMatchObject({ step: 4, epoch: 0 });
    s.model.dispose();
    s.optimizer.dispose();
  });
});
