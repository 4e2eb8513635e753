/**
 * Parity of {@link ShowTellModel} with ImageCaptioning.pytorch's own `ShowTellModel` (fixture
 * `fixtures/show-tell-icp`, made by `fixtures/make-fixture.py` from the reference's code; see
 * fixtures/README.md): the state dict, teacher-forced log-probs through the shared driver's
 * `teacherForcedLogprobs`, the loss (`LanguageModelCriterion`) and its gradients with respect to every weight,
 * and greedy decoding through core's `greedyDecode`. The fixture is committed, so this runs without ../shared.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { greedyDecode, initBackend, parseSafetensors, sequenceCrossEntropy } from '@caption/core';
import { type CaptionFeatures, teacherForcedLogprobs, teacherForcingRows } from '@caption/example-common';
import { describeWithFiles, expectAllClose, type FixtureFolder } from '@caption/test-support';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ShowTellModel } from './show-tell-model';

/** Measured: log-probs and the loss within 5e-7 of the reference, gradients within 6e-9 (float32 noise). */
const TOL = { logprobs: 5e-6, loss: 5e-6, grad: 1e-6 };

interface ReferenceJson {
  options: {
    vocab_size: number;
    input_encoding_size: number;
    rnn_size: number;
    num_layers: number;
    drop_prob_lm: number;
    seq_length: number;
    fc_feat_size: number;
  };
  num_parameters: number;
  state_dict: Array<[string, number[]]>;
  loss: number;
  greedy_min_top1_top2_gap: number;
}

const folder: FixtureFolder = {
  dir: fileURLToPath(new URL('../fixtures/show-tell-icp', import.meta.url)),
  hint: 'committed with examples/show-tell; see fixtures/README.md',
  label: 'committed fixture folder',
};

/** The reference's `nn.LSTM` names its layer-l weights `core.weight_ih_l<l>`; here layer l is `core.<l>`. */
const ourName = (name: string): string => name.replace(/^core\.(weight_[ih]h)_l(\d+)$/, 'core.$2.$1');

describeWithFiles(
  "ShowTellModel vs ImageCaptioning.pytorch's ShowTellModel (fixtures/show-tell-icp)",
  folder,
  ['reference.json', 'model.safetensors', 'io.safetensors'],
  () => {
    const json = JSON.parse(readFileSync(join(folder.dir, 'reference.json'), 'utf8')) as ReferenceJson;
    const io = parseSafetensors(new Uint8Array(readFileSync(join(folder.dir, 'io.safetensors'))), 'io.safetensors');
    const entry = (name: string) => {
      const e = io.tensors.get(name);
      if (e === undefined) throw new Error(`io.safetensors: no tensor '${name}'`);
      return e;
    };
    const values = (name: string) => entry(name).data as Float32Array | Int32Array;
    let model: ShowTellModel;
    let features: CaptionFeatures;

    beforeAll(async () => {
      await initBackend('wasm', { quiet: true });
      const o = json.options;
      model = new ShowTellModel({
        vocabSize: o.vocab_size,
        inputEncodingSize: o.input_encoding_size,
        rnnSize: o.rnn_size,
        numLayers: o.num_layers,
        dropProbLm: o.drop_prob_lm,
        fcFeatSize: o.fc_feat_size,
      }).eval();
      const file = join(folder.dir, 'model.safetensors');
      const weights = parseSafetensors(new Uint8Array(readFileSync(file)), file);
      const tensors = new Map(
        [...weights.tensors].map(([name, e]) => [ourName(name), tf.tensor(e.data as Float32Array, [...e.shape])]),
      );
      model.loadStateDict(tensors);
      tf.dispose([...tensors.values()]);
      const fc = entry('in.fc_feats');
      features = {
        fc: tf.tensor2d(fc.data as Float32Array, [...fc.shape] as [number, number]),
        att: null,
        attMask: null,
      };
    });
    afterAll(() => {
      features.fc?.dispose();
      model.dispose();
    });

    /** Caption rows and the reference's teacher-forcing layout (`labels[:, :-1]`, `labels[:, 1:]`, `masks[:, 1:]`). */
    const rows = () => {
      const [n, width] = entry('in.labels').shape as [number, number];
      return teacherForcingRows(values('in.labels') as Int32Array, values('in.masks') as Float32Array, n, width);
    };
    const imagesPerRow = () => (entry('in.labels').shape[0] as number) / (entry('in.fc_feats').shape[0] as number);

    it('has the reference state dict (names mapped, shapes, order) and parameter count', () => {
      expect(model.namedParameters().map(([n, v]) => [n, [...v.shape]])).toEqual(
        json.state_dict.map(([n, shape]) => [ourName(n), shape]),
      );
      expect(model.parameterCount()).toBe(json.num_parameters);
    });

    it('teacher-forced log-probs (two captions per image, the image step once per image, stop after the longest)', () => {
      const r = rows();
      const logprobs = tf.tidy(() => teacherForcedLogprobs(model, features, r, imagesPerRow()));
      expect(logprobs.shape).toEqual(entry('out.logprobs').shape);
      expectAllClose(logprobs.dataSync(), values('out.logprobs'), { atol: TOL.logprobs, label: 'out.logprobs' });
      logprobs.dispose();
    });

    it('LanguageModelCriterion loss and its gradients with respect to every weight', () => {
      const r = rows();
      const params = model.namedParameters();
      const { loss, grads } = tf.tidy(() => {
        const target = tf.tensor2d(r.targets, [r.rows, r.steps], 'int32');
        const mask = tf.tensor2d(r.mask, [r.rows, r.steps]);
        const { value, grads: g } = tf.variableGrads(
          () => sequenceCrossEntropy(teacherForcedLogprobs(model, features, r, imagesPerRow()), target, mask),
          params.map(([, v]) => v),
        );
        return {
          loss: value.dataSync()[0] as number,
          grads: params.map(([name, v]) => [name, (g[v.name] as tf.Tensor).dataSync().slice()] as const),
        };
      });
      expect(Math.abs(loss - json.loss), `loss ${loss} vs ${json.loss}`).toBeLessThanOrEqual(TOL.loss);
      expect(grads.map(([n]) => n)).toEqual(json.state_dict.map(([n]) => ourName(n)));
      for (const [name, g] of grads) {
        const reference = json.state_dict.find(([n]) => ourName(n) === name)?.[0] as string;
        expectAllClose(g, values(`grad.${reference}`), { atol: TOL.grad, label: `grad.${reference}` });
      }
    });

    it('greedy decoding: the same words, and the log-prob of every step, finished rows included', () => {
      expect(json.greedy_min_top1_top2_gap).toBeGreaterThan(50 * TOL.logprobs);
      const out = greedyDecode(model, features, { maxLength: json.options.seq_length });
      expect(Array.from(out.tokens)).toEqual(Array.from(values('greedy.seq')));
      expectAllClose(out.logprobs, values('greedy.logprobs'), { atol: TOL.logprobs, label: 'greedy.logprobs' });
    });
  },
);
