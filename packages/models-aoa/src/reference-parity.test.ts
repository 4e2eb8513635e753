/**
 * Parity with the PyTorch AoANet reference (husthuaan/AoANet; fixture folder `$AOANET_REFERENCE_DIR`,
 * default `../shared/data/aoanet-reference`), at the tolerances its README recommends:
 * - layer cases (`layers.safetensors`): the AoA-specific modules `mhda_refiner`, `refiner_layer`,
 *   `refiner`, `decoder_core`: outputs, the scalar Σ sum(out · R) and its gradients (weights and inputs);
 * - the small model end to end (`model-small.*`), built from the options recorded in its JSON: the
 *   prepared features, teacher-forced log-probs, the label-smoothed and plain XE losses and gradients,
 *   the self-critical loss and gradients, greedy and beam-3 decodes through core's decoders.
 * Any folder of the same layout (another option set) is checked the same way. Every check runs on two wasm
 * threads with every product split over them (the small model's products are below the size that is split
 * otherwise), then on one thread.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  beamSearch,
  greedyDecode,
  initBackend,
  labelSmoothingLoss,
  type Module,
  selfCriticalLoss,
  sequenceCrossEntropy,
  tokenLogprobs,
} from '@caption/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { AoAModel, type AoAFeatures } from './aoa-model';
import { camelCaseOptions } from './config';
import { AoADecoderCore } from './decoder-core';
import { MultiHeadedDotAttention } from './multi-headed-dot-attention';
import { AoARefiner, AoARefinerLayer } from './refiner';
import { tidyKeep } from './tidy';
import { expectAllClose, type FixtureFolder } from '@caption/test-support';
import {
  committedVariantFolders,
  describeWithReference,
  type Fixture,
  readFixture,
  readReferenceJson,
  referenceFolder,
} from './test-helpers';

const LAYER_TOL = { output: { atol: 1e-5, rtol: 1e-5 }, grad: { atol: 5e-5, rtol: 1e-4 }, loss: 5e-5 };
const MODEL_TOL = { logprobs: 1e-4, prep: 5e-5, loss: 1e-5, grad: 5e-5 };

interface LayersJson {
  cases: Record<string, { loss: number; config: { ctor?: string; opt?: Record<string, number | string> } }>;
}

/** Σ_y sum(out_y · R_y), its value, the outputs and the gradients w.r.t. the module weights and the inputs. */
function runLayerCase(
  fx: Fixture,
  name: string,
  module: Module,
  inputNames: string[],
  run: (inputs: Record<string, tf.Tensor>) => Record<string, tf.Tensor>,
): { outputs: Record<string, Float32Array>; loss: number; grads: Record<string, Float32Array> } {
  tf.tidy(() => void module.loadStateDict(fx.tensors(`${name}.w.`)));
  module.eval();
  const inputs = Object.fromEntries(inputNames.map((x) => [x, tf.variable(fx.tensor(`${name}.in.${x}`))]));
  const constants = Object.fromEntries(
    fx
      .names(`${name}.in.`)
      .filter((x) => !inputNames.includes(x))
      .map((x) => [x, fx.tensor(`${name}.in.${x}`)]),
  );
  const weights = module.namedParameters();
  const before = tf.memory().numTensors;
  const result = tf.tidy(() => {
    const outputs: Record<string, Float32Array> = {};
    const { value, grads } = tf.variableGrads(() => {
      const outs = run({ ...inputs, ...constants });
      let loss: tf.Tensor = tf.scalar(0);
      for (const y of fx.names(`${name}.out.`)) {
        const out = outs[y];
        if (out === undefined) throw new Error(`${name}: no output '${y}'`);
        outputs[y] = out.dataSync().slice() as Float32Array;
        loss = tf.add(loss, tf.sum(tf.mul(out, fx.tensor(`${name}.aux.R_${y}`))));
      }
      return loss as tf.Scalar;
    }, [...weights.map(([, v]) => v), ...Object.values(inputs)]);
    const named: Record<string, Float32Array> = {};
    for (const [w, v] of weights) named[`w.${w}`] = (grads[v.name] as tf.Tensor).dataSync().slice() as Float32Array;
    for (const [x, v] of Object.entries(inputs))
      named[`in.${x}`] = (grads[v.name] as tf.Tensor).dataSync().slice() as Float32Array;
    return { outputs, loss: value.dataSync()[0] as number, grads: named };
  });
  expect(tf.memory().numTensors, `${name}: tensors left after forward + backward`).toBe(before);
  tf.dispose([...Object.values(inputs), ...Object.values(constants)]);
  module.dispose();
  return result;
}

function expectLayerCase(fx: Fixture, json: LayersJson, name: string, result: ReturnType<typeof runLayerCase>): void {
  for (const [y, actual] of Object.entries(result.outputs)) {
    expectAllClose(actual, fx.data(`${name}.out.${y}`), { ...LAYER_TOL.output, label: `${name}.out.${y}` });
  }
  const expectedLoss = json.cases[name]?.loss as number;
  expect(Math.abs(result.loss - expectedLoss), `${name}: loss ${result.loss} vs ${expectedLoss}`).toBeLessThanOrEqual(
    LAYER_TOL.loss,
  );
  const expected = fx.names(`${name}.grad.`);
  expect(Object.keys(result.grads).sort()).toEqual([...expected].sort());
  for (const g of expected) {
    expectAllClose(result.grads[g] as Float32Array, fx.data(`${name}.grad.${g}`), {
      ...LAYER_TOL.grad,
      label: `${name}.grad.${g}`,
    });
  }
}

/** `key=value` pairs of a recorded constructor call such as `MultiHeadedDotAttention(h=4, d_model=32, ...)`. */
function ctorArgs(ctor: string): Record<string, number> {
  return Object.fromEntries([...ctor.matchAll(/(\w+)=([\d.]+)/g)].map((m) => [m[1] as string, Number(m[2])]));
}

function describeLayerParity(): void {
  describeWithReference(
    'AoANet reference parity: AoA layers (layers.safetensors)',
    ['layers.safetensors', 'layers.json'],
    () => {
      let fx: Fixture;
      let json: LayersJson;
      beforeAll(() => {
        fx = readFixture('layers.safetensors');
        json = readReferenceJson<LayersJson>('layers.json');
      });
      const refinerOptions = (name: string) => {
        const o = json.cases[name]?.config.opt as Record<string, number>;
        return {
          modelDim: o.rnn_size as number,
          numHeads: o.num_heads as number,
          scale: o.multi_head_scale as number,
          refineAoa: o.refine_aoa === 1,
          useFf: o.use_ff === 1,
          dropoutAoa: o.dropout_aoa as number,
        };
      };

      it('mhda_refiner: projected q/k/v, AoA gate on [v̂; q], masks 6/4/2', () => {
        const a = ctorArgs(json.cases.mhda_refiner?.config.ctor as string);
        const att = new MultiHeadedDotAttention({
          modelDim: a.d_model as number,
          numHeads: a.h as number,
          scale: a.scale as number,
          projectKeyValue: a.project_k_v === 1,
          doAoa: a.do_aoa === 1,
          queryNorm: a.norm_q === 1 ? 'annotated' : 'none',
          dropoutAoa: a.dropout_aoa as number,
        });
        const result = runLayerCase(
          fx,
          'mhda_refiner',
          att,
          ['query', 'key', 'value'],
          ({ query, key, value, mask }) => ({
            y: att.apply(query as tf.Tensor, key as tf.Tensor, value as tf.Tensor, mask),
          }),
        );
        expectLayerCase(fx, json, 'mhda_refiner', result);
      });

      it('refiner_layer: x + AoA-MHA(LN(x)) (pre-norm residual)', () => {
        const layer = new AoARefinerLayer(refinerOptions('refiner_layer'));
        const result = runLayerCase(fx, 'refiner_layer', layer, ['x'], ({ x, mask }) => ({
          y: layer.apply(x as tf.Tensor, mask),
        }));
        expectLayerCase(fx, json, 'refiner_layer', result);
      });

      it('refiner: 6 layers with independent weights, then LayerNorm', () => {
        const refiner = new AoARefiner(refinerOptions('refiner'));
        const result = runLayerCase(fx, 'refiner', refiner, ['x'], ({ x, mask }) => ({
          y: refiner.apply(x as tf.Tensor, mask),
        }));
        expectLayerCase(fx, json, 'refiner', result);
      });

      it('decoder_core: LSTM over [xt; mean + ctx], LN query attention, AoA on raw h, state stacking', () => {
        const o = json.cases.decoder_core?.config.opt as Record<string, number | string>;
        const core = new AoADecoderCore({
          inputEncodingSize: o.input_encoding_size as number,
          rnnSize: o.rnn_size as number,
          numHeads: o.num_heads as number,
          multiHeadScale: o.multi_head_scale as number,
          useMultiHead: o.use_multi_head as number,
          attHidSize: 512,
          decoderType: o.decoder_type as 'AoA',
          dropProbLm: o.drop_prob_lm as number,
          ctxDrop: o.ctx_drop === 1,
          outRes: false,
        });
        const width = (o.rnn_size as number) * (o.multi_head_scale as number);
        const result = runLayerCase(
          fx,
          'decoder_core',
          core,
          ['xt', 'mean_feats', 'p_att_feats', 'h_prev', 'c_prev'],
          ({ xt, mean_feats, p_att_feats, h_prev, c_prev, mask }) => {
            const [h0, ctx] = tf.unstack(h_prev as tf.Tensor) as [tf.Tensor, tf.Tensor];
            const [c0, c1] = tf.unstack(c_prev as tf.Tensor) as [tf.Tensor, tf.Tensor];
            const p = p_att_feats as tf.Tensor;
            const [rows, regions] = p.shape as [number, number, number];
            const memory = {
              meanFeats: mean_feats as tf.Tensor,
              values: tf.slice(p, [0, 0, 0], [rows, regions, width]),
              keys: tf.slice(p, [0, 0, width], [rows, regions, width]),
              mask: mask ?? null,
            };
            const next = core.apply(xt as tf.Tensor, memory, { hidden: h0, cell: c0, context: ctx, contextCell: null });
            return {
              output: next.output,
              h: tf.stack([next.state.hidden, next.state.context]),
              c: tf.stack([next.state.cell, c1]),
            };
          },
        );
        expectLayerCase(fx, json, 'decoder_core', result);
      });
    },
  );
}

interface ModelJson {
  options: Record<string, unknown>;
  num_parameters: number;
  state_dict: Array<[string, number[]]>;
  results: { loss_label_smoothing: number; loss_xe: number; self_critical: { loss: number } };
}

function describeModelParity(folder: FixtureFolder): void {
  const dir = folder.dir;
  describeWithReference(
    `AoANet reference parity: the small model end to end (${dir})`,
    ['model-small.json', 'model-small.safetensors', 'model-small-io.safetensors'],
    () => {
      let json: ModelJson;
      let io: Fixture;
      let model: AoAModel;
      let images: AoAFeatures;
      let rows: AoAFeatures;
      beforeAll(() => {
        json = readReferenceJson<ModelJson>('model-small.json', dir);
        io = readFixture('model-small-io.safetensors', dir);
        model = AoAModel.fromReferenceOptions(camelCaseOptions(json.options));
        const weights = readFixture('model-small.safetensors', dir).tensors('');
        model.loadStateDict(weights);
        tf.dispose([...weights.values()]);
        model.eval();
        images = {
          fc: io.tensor('in.images.fc_feats'),
          att: io.tensor('in.images.att_feats'),
          mask: io.tensor('in.images.att_masks'),
        };
        rows = { fc: io.tensor('in.fc_feats'), att: io.tensor('in.att_feats'), mask: io.tensor('in.att_masks') };
      });
      const labels = () => io.tensor('in.labels');
      const close = (label: string, actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number) =>
        expectAllClose(actual, expected, { atol, label });

      it('has the reference state dict (names, shapes, order) and parameter count', () => {
        expect(model.namedParameters().map(([n, v]) => [n, [...v.shape]])).toEqual(json.state_dict);
        expect(model.parameterCount()).toBe(json.num_parameters);
      });

      it('prep.*: clip_att, region embedding (padded rows zero), refiner, mean feature, ctx2att', () => {
        const encoded = model.encode(rows);
        close('prep.mean_feats', encoded.meanFeats.dataSync(), io.data('prep.mean_feats'), MODEL_TOL.prep);
        expect(encoded.regions.shape).toEqual(io.shape('prep.att_feats'));
        close('prep.att_feats', encoded.regions.dataSync(), io.data('prep.att_feats'), MODEL_TOL.prep);
        close('prep.p_att_feats', encoded.projected.dataSync(), io.data('prep.p_att_feats'), MODEL_TOL.prep);
        tf.dispose([encoded.meanFeats, encoded.regions, encoded.projected, encoded.mask as tf.Tensor]);
      });

      it('out.logprobs: teacher forcing with the image side once per image, exact zeros after the loop stops', () => {
        const l = labels();
        const once = model.forward(images, l);
        const repeated = model.forward(rows, l);
        const expected = io.data('out.logprobs');
        expect(once.shape).toEqual(io.shape('out.logprobs'));
        close('out.logprobs', once.dataSync(), expected, MODEL_TOL.logprobs);
        // steps whose expected values are all exactly 0 (after the loop stopped) are exactly 0 here too
        const got = once.dataSync();
        for (let i = 0; i < expected.length; i++) if (expected[i] === 0) expect(got[i]).toBe(0);
        expectAllClose(once.dataSync(), repeated.dataSync(), {
          atol: 1e-5,
          label: 'once per image vs repeated per caption',
        });
        tf.dispose([l, once, repeated]);
      });

      for (const output of ['logprobs', 'logits'] as const) {
        it(`label-smoothed and plain XE losses, and the gradients of the label-smoothed loss (grad.*)${output === 'logits' ? ', through logits and the fused loss' : ''}`, () => {
          const l = labels();
          const masks = io.tensor('in.masks');
          const smoothing = json.options.label_smoothing as number;
          const before = tf.memory().numTensors;
          const { xe, ls, grads } = tidyKeep(() => {
            const [n, width] = l.shape as [number, number];
            const target = tf.slice(l, [0, 1], [n, width - 1]);
            const mask = tf.slice(masks, [0, 1], [n, width - 1]);
            const params = model.namedParameters();
            const { value, grads: g } = tf.variableGrads(
              () =>
                labelSmoothingLoss(model.forward(images, l, { output }), target, mask, smoothing, { input: output }),
              params.map(([, v]) => v),
            );
            const plain = sequenceCrossEntropy(model.forward(images, l), target, mask);
            return {
              ls: value.dataSync()[0] as number,
              xe: plain.dataSync()[0] as number,
              grads: new Map(
                params.map(([name, v]) => [name, (g[v.name] as tf.Tensor).dataSync().slice() as Float32Array]),
              ),
            };
          });
          expect(tf.memory().numTensors).toBe(before);
          expect(Math.abs(ls - json.results.loss_label_smoothing)).toBeLessThanOrEqual(MODEL_TOL.loss);
          expect(Math.abs(xe - json.results.loss_xe)).toBeLessThanOrEqual(MODEL_TOL.loss);
          expect([...grads.keys()].sort()).toEqual(io.names('grad.').sort());
          for (const [name, g] of grads) close(`grad.${name}`, g, io.data(`grad.${name}`), MODEL_TOL.grad);
          tf.dispose([l, masks]);
        });
      }

      it('self-critical loss and gradients (sc_grad.*) from teacher-forced sample log-probs', () => {
        const seq = io.tensor('sc.seq');
        const reward = io.tensor('sc.reward');
        const [n, steps] = seq.shape as [number, number];
        const scLabels = tf.concat([tf.zeros([n, 1], 'int32'), seq], 1);
        const { loss, sampleLogprobs, grads } = tidyKeep(() => {
          const params = model.namedParameters();
          let lp: Float32Array = new Float32Array(0);
          const { value, grads: g } = tf.variableGrads(
            () => {
              const picked = tokenLogprobs(model.forward(images, scLabels), seq);
              lp = picked.dataSync().slice() as Float32Array;
              return selfCriticalLoss(picked, seq, reward);
            },
            params.map(([, v]) => v),
          );
          return {
            loss: value.dataSync()[0] as number,
            sampleLogprobs: lp,
            grads: new Map(
              params.map(([name, v]) => [name, (g[v.name] as tf.Tensor).dataSync().slice() as Float32Array]),
            ),
          };
        });
        expect(steps).toBe(model.config.maxLength);
        close('sc.sample_logprobs', sampleLogprobs, io.data('sc.sample_logprobs'), MODEL_TOL.logprobs);
        expect(Math.abs(loss - json.results.self_critical.loss)).toBeLessThanOrEqual(MODEL_TOL.loss);
        for (const [name, g] of grads) close(`sc_grad.${name}`, g, io.data(`sc_grad.${name}`), MODEL_TOL.grad);
        tf.dispose([seq, reward, scLabels]);
      });

      it('self-critical sampling in one pass (greedy method): sc.seq, sc.greedy_logprobs, the loss and sc_grad.*', () => {
        const reward = io.tensor('sc.reward');
        const perImage = (io.shape('sc.seq')[0] as number) / (io.shape('in.images.att_feats')[0] as number);
        let tokens: Int32Array = new Int32Array(0);
        let sampled: Float32Array = new Float32Array(0);
        const before = tf.memory().numTensors;
        const { loss, grads } = tidyKeep(() => {
          const params = model.namedParameters();
          const { value, grads: g } = tf.variableGrads(
            () => {
              const s = model.selfCriticalSample(images, { method: 'greedy', samplesPerImage: perImage });
              tokens = s.tokens;
              sampled = s.logprobs.dataSync().slice() as Float32Array;
              return selfCriticalLoss(s.logprobs, tf.tensor2d(s.tokens, [s.rows, s.maxLength], 'int32'), reward);
            },
            params.map(([, v]) => v),
          );
          return {
            loss: value.dataSync()[0] as number,
            grads: new Map(
              params.map(([name, v]) => [name, (g[v.name] as tf.Tensor).dataSync().slice() as Float32Array]),
            ),
          };
        });
        expect(tf.memory().numTensors).toBe(before);
        expect(Array.from(tokens)).toEqual(Array.from(io.data('sc.seq')));
        close('sc.greedy_logprobs', sampled, io.data('sc.greedy_logprobs'), MODEL_TOL.logprobs);
        expect(Math.abs(loss - json.results.self_critical.loss)).toBeLessThanOrEqual(MODEL_TOL.loss);
        for (const [name, g] of grads) close(`sc_grad.${name}`, g, io.data(`sc_grad.${name}`), MODEL_TOL.grad);
        reward.dispose();
      });

      it('greedy decode (greedy.*, and sc.seq / sc.greedy_logprobs on the repeated batch) through core greedyDecode', () => {
        const out = greedyDecode(model, images, { maxLength: model.config.maxLength });
        expect(Array.from(out.tokens)).toEqual(Array.from(io.data('greedy.seq')));
        close('greedy.logprobs', out.logprobs, io.data('greedy.logprobs'), MODEL_TOL.logprobs);
        const batch = greedyDecode(model, rows, { maxLength: model.config.maxLength });
        expect(Array.from(batch.tokens)).toEqual(Array.from(io.data('sc.seq')));
        close('sc.greedy_logprobs', batch.logprobs, io.data('sc.greedy_logprobs'), MODEL_TOL.logprobs);
      });

      it('beam search, beam 3 (beam.seq/logprobs, beam.done_*) through core beamSearch', () => {
        const out = beamSearch(model, images, { beamSize: 3, maxLength: model.config.maxLength });
        expect(Array.from(out.tokens)).toEqual(Array.from(io.data('beam.seq')));
        close('beam.logprobs', out.logprobs, io.data('beam.logprobs'), MODEL_TOL.logprobs);
        const [imageCount, beams, length] = io.shape('beam.done_seq') as [number, number, number];
        const doneSeq = io.data('beam.done_seq');
        const doneLogps = io.data('beam.done_logps');
        const doneP = io.data('beam.done_p');
        for (let k = 0; k < imageCount; k++) {
          expect(out.beams[k]?.length).toBe(beams);
          for (let b = 0; b < beams; b++) {
            const hyp = out.beams[k]?.[b];
            const at = (k * beams + b) * length;
            expect(Array.from(hyp?.tokens ?? []), `image ${k} beam ${b}`).toEqual(
              Array.from(doneSeq.subarray(at, at + length)),
            );
            close(
              `beam.done_logps[${k}][${b}]`,
              hyp?.logprobs ?? [],
              doneLogps.subarray(at, at + length),
              MODEL_TOL.logprobs,
            );
            expect(Math.abs((hyp?.score ?? NaN) - (doneP[k * beams + b] as number))).toBeLessThanOrEqual(
              MODEL_TOL.logprobs,
            );
          }
        }
      });
    },
    folder,
  );
}

for (const threads of [2, 1]) {
  describe(`on ${threads} wasm thread${threads === 1 ? '' : 's'}`, () => {
    beforeAll(async () => {
      const info = await initBackend('wasm', { quiet: true, threads, splitAll: threads > 1 });
      expect(info.threads).toBe(threads);
    });
    describeLayerParity();
    // The folder given by AOANET_REFERENCE_DIR (default: the shared fixtures), then the option sets committed here,
    // each gated on its own folder (the committed ones run without ../shared).
    for (const folder of [referenceFolder(), ...committedVariantFolders()]) describeModelParity(folder);
  });
}
