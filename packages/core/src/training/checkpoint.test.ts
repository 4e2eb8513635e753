import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Adam } from '../optim/adam';
import { Random } from '../random';
import { writeFileAtomic } from './atomic-file';
import { CHECKPOINT_FILES, CheckpointStore, readCheckpoint, type TrainingState } from './checkpoint';
import { CheckpointError } from './errors';
import { temporaryDirectories, TinyCaptioner } from './test-fixtures';
import { loadModelWeights, loadOptimizerState, modelWeights } from './train-loop';

const temporary = temporaryDirectories('caption-ckpt-');
const tempDir = temporary.make;
afterEach(temporary.cleanup);

beforeAll(async () => {
  await tf.ready();
});

function state(step: number, extra: Partial<TrainingState> = {}): TrainingState {
  return {
    format: 'caption-training-state',
    version: 1,
    step,
    epoch: 2,
    stepInEpoch: 3,
    bestScore: 1.25,
    rng: new Random(3).getState(),
    data: { position: 17, order: [3, 1, 2] },
    optimizer: null,
    components: { plateau: { best: 0.5 } },
    config: { lr: 2e-4, name: 'tiny' },
    ...extra,
  };
}

function captureError(run: () => unknown): Error {
  try {
    run();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

function bytesOf(t: tf.Tensor): Uint8Array {
  const d = t.dataSync() as Float32Array;
  return new Uint8Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength));
}

/** A model trained a few steps, so that weights and moments are non-trivial (and include awkward floats). */
function trainedModel(seed: number): { model: TinyCaptioner; optimizer: Adam } {
  const model = new TinyCaptioner(
    { vocabSize: 8, features: 3, embed: 4, hidden: 5, dropout: 0 },
    { rng: new Random(seed) },
  );
  const optimizer = new Adam(model, { learningRate: 0.05 });
  for (let i = 0; i < 3; i++) {
    const grads = new Map(
      model.namedParameters().map(([n, v]) => [n, tf.randomNormal(v.shape, 0, 1, 'float32', seed + i)]),
    );
    optimizer.step(grads);
    tf.dispose([...grads.values()]);
  }
  // a subnormal and a negative zero survive the round trip bit for bit
  model.logit.bias!.assign(tf.tensor1d([1e-42, -0, 3.4e38, -1.5, 0.1, 0.2, 0.3, 0.4]));
  return { model, optimizer };
}

describe('CheckpointStore', () => {
  it('round-trips weights, optimiser moments and the training state bit for bit', () => {
    const store = new CheckpointStore(tempDir());
    const { model, optimizer } = trainedModel(1);
    const saved = state(30, { optimizer: optimizer.getState() });
    const path = store.save({ weights: modelWeights(model), optimizer: optimizer.stateTensors(), state: saved });
    expect(store.resolve('latest')).toBe(path);

    const other = trainedModel(2);
    const loaded = store.load('latest');
    expect(loaded).not.toBeNull();
    loadModelWeights(other.model, loaded!);
    loadOptimizerState(other.optimizer, loaded!);
    for (const [name, v] of model.namedParameters())
      expect(bytesOf(other.model.getParameter(name))).toEqual(bytesOf(v));
    const a = optimizer.stateTensors();
    const b = other.optimizer.stateTensors();
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [name, t] of a) expect(bytesOf(b.get(name)!)).toEqual(bytesOf(t));
    expect(other.optimizer.getState()).toEqual(optimizer.getState());
    const { checksums, ...rest } = loaded!.state;
    expect(rest).toEqual(saved);
    expect(Object.keys(checksums ?? {})).toEqual([CHECKPOINT_FILES.model, CHECKPOINT_FILES.optimizer]);
    for (const m of [model, other.model]) m.dispose();
    for (const o of [optimizer, other.optimizer]) o.dispose();
  });

  it('keeps latest and best, prunes the rest, and removes leftovers of an interrupted save', () => {
    const dir = tempDir();
    const store = new CheckpointStore(dir);
    const { model } = trainedModel(3);
    const first = store.save({ weights: modelWeights(model), state: state(10) }, { best: true });
    const second = store.save({ weights: modelWeights(model), state: state(20) });
    const third = store.save({ weights: modelWeights(model), state: state(30) });
    expect(store.resolve('best')).toBe(first);
    expect(store.resolve('latest')).toBe(third);
    expect(existsSync(second)).toBe(false);
    expect(store.pointer('latest')).toMatchObject({ step: 30, epoch: 2, bestScore: 1.25 });
    // a half-written checkpoint (killed before its rename) is invisible and cleaned up on the next open
    const torn = join(dir, '.step-00000040-deadbeef.tmp-12345');
    writeFileSync(join(dir, 'unrelated.txt'), 'kept');
    mkdirSync(torn);
    writeFileSync(join(torn, CHECKPOINT_FILES.model), 'partial');
    new CheckpointStore(dir);
    expect(existsSync(torn)).toBe(false);
    expect(existsSync(join(dir, 'unrelated.txt'))).toBe(true);
    expect(readdirSync(dir).filter((e) => e.startsWith('step-')).length).toBe(2);
    const keeping = new CheckpointStore(tempDir(), { keepLast: 2 });
    for (let s = 1; s <= 5; s++) keeping.save({ weights: modelWeights(model), state: state(s) });
    expect(readdirSync(keeping.directory).filter((e) => e.startsWith('step-')).length).toBe(3);
    model.dispose();
  });

  it('writes files atomically (no temporary file is left; an existing file is replaced whole)', () => {
    const dir = tempDir();
    const file = join(dir, 'pointer.json');
    writeFileAtomic(file, 'old');
    writeFileAtomic(file, '{"new": true}');
    expect(readFileSync(file, 'utf8')).toBe('{"new": true}');
    expect(readdirSync(dir)).toEqual(['pointer.json']);
  });

  it('names the file and the field of a broken checkpoint', () => {
    const dir = tempDir();
    const store = new CheckpointStore(dir);
    expect(store.load('latest')).toBeNull();
    const { model } = trainedModel(4);
    const path = store.save({ weights: modelWeights(model), state: state(5) });
    writeFileSync(join(path, CHECKPOINT_FILES.state), JSON.stringify({ ...state(5), step: -1 }));
    expect(() => readCheckpoint(path)).toThrow(/training-state\.json: field "step"/);
    rmSync(join(path, CHECKPOINT_FILES.model));
    expect(() => readCheckpoint(path)).toThrow(CheckpointError);
    writeFileSync(join(dir, 'latest.json'), '{"checkpoint": "../../etc"}');
    expect(() => store.load('latest')).toThrow(/latest\.json: field "checkpoint"/);
    model.dispose();
  });

  it('a truncated model.safetensors is a CheckpointError naming the file and the older checkpoints', () => {
    const dir = tempDir();
    const store = new CheckpointStore(dir, { keepLast: 1 });
    const { model } = trainedModel(5);
    const older = store.save({ weights: modelWeights(model), state: state(10) });
    const path = store.save({ weights: modelWeights(model), state: state(20) });
    const file = join(path, CHECKPOINT_FILES.model);
    writeFileSync(file, readFileSync(file).subarray(0, 100)); // cut inside the header or the data
    const error = captureError(() => store.load('latest'));
    expect(error).toBeInstanceOf(CheckpointError);
    expect(error.message).toContain(file);
    expect(error.message).toContain(basename(older));
    model.dispose();
  });

  it('a flipped byte in a checkpoint file is found by its SHA-256 on load', () => {
    const store = new CheckpointStore(tempDir());
    const { model, optimizer } = trainedModel(6);
    const path = store.save({
      weights: modelWeights(model),
      optimizer: optimizer.stateTensors(),
      state: state(7, { optimizer: optimizer.getState() }),
    });
    for (const name of [CHECKPOINT_FILES.model, CHECKPOINT_FILES.optimizer]) {
      const file = join(path, name);
      const good = readFileSync(file);
      const bad = Buffer.from(good);
      bad[bad.length - 3] = (bad[bad.length - 3] as number) ^ 0x10; // inside the last tensor's data
      writeFileSync(file, bad);
      expect(() => store.load('latest')).toThrow(new RegExp(`${name}: damaged \\(its SHA-256 differs`));
      writeFileSync(file, good);
    }
    expect(store.load('latest')?.state.step).toBe(7);
    model.dispose();
    optimizer.dispose();
  });

  it('removes a pointer file left half-written by a kill (.latest.json.tmp-*) when it opens', () => {
    const dir = tempDir();
    for (const name of ['.latest.json.tmp-123-abcd1234', '.best.json.tmp-9-00ff00ff'])
      writeFileSync(join(dir, name), '{"checkp');
    writeFileSync(join(dir, '.latest.json.keep'), 'not ours');
    new CheckpointStore(dir);
    expect(readdirSync(dir)).toEqual(['.latest.json.keep']);
  });

  // python3's standard library only (no numpy), so the one tool this check needs is python3 itself;
  // .ci/run makes sure CI has it, and a skip here would fail a CI run (@caption/test-support's reporter).
  const python = spawnSync('python3', ['--version'], { encoding: 'utf8' });
  const noPython = python.status === 0 ? '' : ' [skipped: python3 is not on PATH]';
  it.skipIf(python.status !== 0)(
    `model.safetensors is a standard safetensors file (read by hand with python3's struct module)${noPython}`,
    () => {
      const store = new CheckpointStore(tempDir());
      const { model } = trainedModel(5);
      const path = store.save({ weights: modelWeights(model), state: state(1) });
      // An independent reader: the format's specification, nothing from this package.
      const script = `
import json, struct, sys
raw = open(sys.argv[1], 'rb').read()
(n,) = struct.unpack('<Q', raw[:8])
assert n % 8 == 0, 'header not padded to 8'
header = json.loads(raw[8:8 + n])
meta = header.pop('__metadata__', {})
data = raw[8 + n:]
offset = 0
out = {}
for name, info in header.items():
    b, e = info['data_offsets']
    assert b == offset, 'not contiguous: ' + name
    assert info['dtype'] == 'F32'
    count = 1
    for d in info['shape']:
        count *= d
    assert e - b == 4 * count, 'size of ' + name
    out[name] = {'shape': info['shape'], 'values': list(struct.unpack('<%df' % count, data[b:e]))}
    offset = e
assert offset == len(data), 'trailing bytes'
print(json.dumps({'meta': meta, 'tensors': out}))
`;
      const run = spawnSync('python3', ['-c', script, join(path, CHECKPOINT_FILES.model)], { encoding: 'utf8' });
      expect(run.stderr).toBe('');
      const parsed = JSON.parse(run.stdout) as {
        meta: Record<string, string>;
        tensors: Record<string, { shape: number[]; values: number[] }>;
      };
      expect(parsed.meta.format).toBe('pt');
      expect(Object.keys(parsed.tensors)).toEqual(model.namedParameters().map(([n]) => n));
      for (const [name, v] of model.namedParameters()) {
        expect(parsed.tensors[name]!.shape).toEqual(v.shape);
        expect(parsed.tensors[name]!.values).toEqual(Array.from(v.dataSync()));
      }
      model.dispose();
    },
  );
});
