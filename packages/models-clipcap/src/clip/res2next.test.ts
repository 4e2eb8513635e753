/**
 * Res2NeXt parity with the authors' PyTorch code (Res2Net/Res2Net-PretrainedModels `res2next.py`, run at a
 * narrow width by `fixtures/res2next/make_res2next_fixture.py`; see the README there): outputs, the loss
 * `sum(out · R)` and listed gradients in evaluation mode and in training mode (batch statistics), plus the
 * BatchNorm running statistics after the training forward. Tolerances as ../shared/data/clipcap-reference:
 * forward `1e-5 + 1e-4·|ref|`, gradients `1e-4 + 1e-3·|ref|`.
 */
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { computeGradients, Random } from '@caption/core';
import { expectAllClose } from '@caption/test-support';
import { describe, expect, it } from 'vitest';
import { ReferenceFolder } from '../clipcap-reference.test-util';
import { ClipConfigError } from './errors';
import { entryFloats, entryTensor } from './fixture-tensors.test-util';
import { Res2NeXt, RES2NEXT50 } from './res2next';
import { loadClipWeights } from './weights';

const FORWARD = { atol: 1e-5, rtol: 1e-4 };
const GRAD = { atol: 1e-4, rtol: 1e-3 };
const dir = fileURLToPath(new URL('../../fixtures/res2next/', import.meta.url));

interface FixtureJson {
  config: {
    layers: [number, number, number, number];
    baseWidth: number;
    cardinality: number;
    scale: number;
    num_classes: number;
    width: number;
  };
  grads: string[];
  n_parameters: number;
  res2next50_n_parameters: number;
  state_dict: Array<[string, number[]]>;
}

describe("Res2NeXt parity with the authors' res2next.py (narrow, fixtures/res2next)", () => {
  const ref = new ReferenceFolder(dir);
  const FILE = 'res2next-narrow.safetensors';
  const json = ref.json<FixtureJson>('res2next-narrow.json');
  const stored = (name: string) => entryFloats(ref.tensor(FILE, name));
  const build = () => {
    const { num_classes: numClasses, ...rest } = json.config;
    const model = new Res2NeXt({ ...rest, numClasses });
    loadClipWeights(model, { tensors: ref.tensors(FILE), metadata: {} }, { prefix: 'weights/', source: FILE });
    return model;
  };

  it('has the reference names, shapes and trainable parameter count', () => {
    const model = build();
    expect(model.namedParameters().map(([n, v]) => [n, [...v.shape]])).toEqual(json.state_dict);
    expect(
      model
        .parameters()
        .filter((v) => v.trainable)
        .reduce((n, v) => n + v.size, 0),
    ).toBe(json.n_parameters);
    model.dispose();
  });

  for (const mode of ['eval', 'train'] as const) {
    it(`${mode} mode: output, loss and gradients${mode === 'train' ? ', updated running statistics' : ''}`, () => {
      const model = build();
      model.train(mode === 'train');
      const images = entryTensor(ref.tensor(FILE, 'io/images')) as tf.Tensor4D;
      const r = entryTensor(ref.tensor(FILE, 'io/R'));
      let output: Float32Array = new Float32Array();
      const { loss, grads } = computeGradients(model, () => {
        const out = model.apply(images);
        output = out.dataSync() as Float32Array;
        return tf.sum(tf.mul(out, r));
      });
      expectAllClose(output, stored(`${mode}/output`), { ...FORWARD, label: `${mode} output` });
      expectAllClose(loss.dataSync(), stored(`${mode}/loss`), { ...FORWARD, label: `${mode} loss` });
      for (const name of json.grads) {
        const g = grads.get(name);
        expect(g, `gradient of ${name}`).toBeDefined();
        expectAllClose(g!.dataSync(), stored(`${mode}/grad/${name}`), { ...GRAD, label: `${mode} grad ${name}` });
      }
      if (mode === 'train') {
        const state = model.stateDict();
        const after = [...ref.tensors(FILE).keys()].filter((n) => n.startsWith('train/after/'));
        expect(after.length).toBeGreaterThan(0);
        for (const key of after) {
          const name = key.slice('train/after/'.length);
          expectAllClose(state.get(name)!.dataSync(), stored(key), { ...FORWARD, label: `running ${name}` });
        }
      }
      tf.dispose([images, r, loss, ...grads.values()]);
      model.dispose();
    });
  }

  it("Res2NeXt-50 with its 1000-class fc has the parameter count of the authors' res2next50() (24,671,464)", () => {
    const model = new Res2NeXt({ ...RES2NEXT50, numClasses: 1000 }, { rng: new Random(0) });
    expect(
      model
        .parameters()
        .filter((v) => v.trainable)
        .reduce((n, v) => n + v.size, 0),
    ).toBe(json.res2next50_n_parameters);
    model.dispose();
  });

  it('a group width of zero is a ClipConfigError naming baseWidth', () => {
    expect(() => new Res2NeXt({ ...RES2NEXT50, baseWidth: 1, width: 8 })).toThrow(ClipConfigError);
    expect(() => new Res2NeXt({ ...RES2NEXT50, baseWidth: 1, width: 8 })).toThrow(/baseWidth/);
  });
});
