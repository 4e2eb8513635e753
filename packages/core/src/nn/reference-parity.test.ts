/**
 * Parity with the PyTorch AoANet reference (../shared/data/aoanet-reference, layers.safetensors): the
 * fixture weights are loaded by their state-dict names, the outputs, the scalar `Σ sum(out · R)` and
 * its gradients (weights and inputs) are compared at the tolerances recommended by the fixture README:
 * outputs atol 1e-5 + rtol 1e-5, gradients atol 5e-5 + rtol 1e-4, scalar losses atol 5e-5.
 *
 * Every case runs on wasm (the default) and on the cpu reference backend.
 *
 * `mhda_refiner` and `refiner_layer` are composition checks: AoANet's AoA gate is not a core layer (it
 * belongs to @caption/models-aoa), so the tests build it here from MultiHeadAttention.attend, Linear and
 * GLU, the way a model package extends the core layers.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describeWithShared, expectAllClose } from '@caption/test-support';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/init-backend';
import { GLU } from './activation';
import { ModuleList, Sequential } from './containers';
import { LayerNorm } from './layer-norm';
import { Linear } from './linear';
import { LSTMCell } from './lstm-cell';
import { Module, type ModuleOptions } from './module';
import { MultiHeadAttention } from './multi-head-attention';
import { SublayerConnection } from './sublayer-connection';
import { loadFixture, readyBackend, type Fixture } from './test-helpers';

const FILE = 'aoanet-reference/layers.safetensors';
const OUTPUT_TOL = { atol: 1e-5, rtol: 1e-5 };
const GRAD_TOL = { atol: 5e-5, rtol: 1e-4 };
const LOSS_ATOL = 5e-5;

interface CaseSpec {
  /** Case name in the fixture (`<case>.w.*`, `<case>.in.*`, ...). */
  name: string;
  module: Module;
  /** Float inputs that are differentiated (`<case>.in.<x>`). */
  inputs: string[];
  /** Other inputs (masks), passed as constants. */
  constants?: string[];
  /** The module call: outputs by name (`<case>.out.<y>`). */
  run: (inputs: Record<string, tf.Tensor>) => Record<string, tf.Tensor>;
}

interface CaseResult {
  outputs: Record<string, Float32Array>;
  loss: number;
  grads: Record<string, Float32Array>;
}

/** Loads the case's weights, runs forward + backward of Σ sum(out · R), returns plain arrays. */
function runCase(fx: Fixture, spec: CaseSpec): CaseResult {
  const { name, module } = spec;
  tf.tidy(() => {
    module.loadStateDict(new Map(fx.names(`${name}.w.`).map((w) => [w, fx.tensor(`${name}.w.${w}`)])));
  });
  module.eval();
  const variables = Object.fromEntries(spec.inputs.map((x) => [x, tf.variable(fx.tensor(`${name}.in.${x}`))]));
  const constants = Object.fromEntries((spec.constants ?? []).map((c) => [c, fx.tensor(`${name}.in.${c}`)]));
  const outNames = fx.names(`${name}.out.`);
  const weights = module.namedParameters();
  const before = tf.memory().numTensors;
  const result = tf.tidy(() => {
    const outputs: Record<string, Float32Array> = {};
    const { value, grads } = tf.variableGrads(() => {
      const outs = spec.run({ ...variables, ...constants });
      let loss: tf.Tensor = tf.scalar(0);
      for (const y of outNames) {
        const out = outs[y];
        if (out === undefined) throw new Error(`${name}: the module returned no output '${y}'`);
        outputs[y] = out.dataSync().slice() as Float32Array;
        loss = tf.add(loss, tf.sum(tf.mul(out, fx.tensor(`${name}.aux.R_${y}`))));
      }
      return loss as tf.Scalar;
    }, [...weights.map(([, v]) => v), ...Object.values(variables)]);
    const named: Record<string, Float32Array> = {};
    for (const [w, v] of weights) named[`w.${w}`] = (grads[v.name] as tf.Tensor).dataSync().slice() as Float32Array;
    for (const [x, v] of Object.entries(variables))
      named[`in.${x}`] = (grads[v.name] as tf.Tensor).dataSync().slice() as Float32Array;
    return { outputs, loss: value.dataSync()[0] as number, grads: named };
  });
  expect(tf.memory().numTensors, `${name}: tensors left after forward + backward`).toBe(before);
  tf.dispose([...Object.values(variables), ...Object.values(constants)]);
  return result;
}

function expectCaseMatches(fx: Fixture, spec: CaseSpec, expectedLoss: number): void {
  const result = runCase(fx, spec);
  for (const [y, actual] of Object.entries(result.outputs)) {
    expectAllClose(actual, fx.data(`${spec.name}.out.${y}`), { ...OUTPUT_TOL, label: `${spec.name}.out.${y}` });
  }
  expect(
    Math.abs(result.loss - expectedLoss),
    `${spec.name}: loss ${result.loss} vs ${expectedLoss}`,
  ).toBeLessThanOrEqual(LOSS_ATOL);
  const expectedGrads = fx.names(`${spec.name}.grad.`);
  expect(Object.keys(result.grads).sort()).toEqual([...expectedGrads].sort());
  for (const g of expectedGrads) {
    expectAllClose(result.grads[g] as Float32Array, fx.data(`${spec.name}.grad.${g}`), {
      ...GRAD_TOL,
      label: `${spec.name}.grad.${g}`,
    });
  }
  spec.module.dispose();
}

/** A case whose module is called as `apply(query, key, value, mask)` and returns `y`. */
function attentionCase(name: string, att: MultiHeadAttention): CaseSpec {
  return {
    name,
    module: att,
    inputs: ['query', 'key', 'value'],
    constants: ['mask'],
    run: ({ query, key, value, mask }) => ({
      y: att.apply(query as tf.Tensor, key as tf.Tensor, value as tf.Tensor, mask),
    }),
  };
}

/** AoANet's MultiHeadedDotAttention with AoA (refiner form), built on the core attention for this test. */
class AoAAttentionForTest extends MultiHeadAttention {
  static override readonly className = 'test.AoAAttention';
  readonly aoaLayer: Sequential;
  constructor(modelDim: number, numHeads: number, options: ModuleOptions = {}) {
    super({ modelDim, numHeads, outputLayer: false }, options);
    this.aoaLayer = this.addModule(
      'aoa_layer',
      new Sequential([
        new Linear({ inFeatures: 2 * modelDim, outFeatures: 2 * modelDim }, { rng: this.rng }),
        new GLU(),
      ]),
    );
  }
  override apply(query: tf.Tensor, key: tf.Tensor, value: tf.Tensor, mask?: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const heads = this.attend(query, key, value, mask);
      return this.aoaLayer.apply(tf.concat([heads.attended, heads.query], -1));
    });
  }
}

/** AoANet's AoA_Refiner_Layer without the feed-forward sub-layer: x + AoA-MHA(LN(x)). */
class RefinerLayerForTest extends Module<{ modelDim: number; numHeads: number }> {
  static override readonly className = 'test.RefinerLayer';
  readonly selfAttention: AoAAttentionForTest;
  readonly sublayer: ModuleList<SublayerConnection>;
  constructor(modelDim: number, numHeads: number) {
    super({ modelDim, numHeads });
    this.selfAttention = this.addModule('self_attn', new AoAAttentionForTest(modelDim, numHeads, { rng: this.rng }));
    this.sublayer = this.addModule(
      'sublayer',
      new ModuleList([new SublayerConnection({ size: modelDim }, { rng: this.rng })]),
    );
  }
  apply(x: tf.Tensor, mask: tf.Tensor): tf.Tensor {
    return this.sublayer.get(0).apply(x, (n) => this.selfAttention.apply(n, n, n, mask));
  }
}

describeWithShared(
  'AoANet reference parity of the core layers (layers.safetensors)',
  [FILE, 'aoanet-reference/layers.json'],
  (data) => {
    let fx: Fixture;
    let losses: Record<string, number>;
    beforeAll(async () => {
      await readyBackend();
      fx = loadFixture(data.readBytes(FILE), data.path(FILE));
      const json = data.readJson<{ cases: Record<string, { loss?: number }> }>('aoanet-reference/layers.json');
      losses = Object.fromEntries(Object.entries(json.cases).map(([k, v]) => [k, v.loss ?? Number.NaN]));
    });

    for (const backend of ['wasm', 'cpu'] as const) {
      describe(`on ${backend}`, () => {
        beforeAll(async () => {
          await initBackend(backend, { quiet: true });
        });

        it('lstm_cell: torch.nn.LSTMCell(24, 32) outputs and gradients', () => {
          const cell = new LSTMCell({ inputSize: 24, hiddenSize: 32 });
          expectCaseMatches(
            fx,
            {
              name: 'lstm_cell',
              module: cell,
              inputs: ['x', 'h0', 'c0'],
              run: ({ x, h0, c0 }) => {
                const s = cell.apply(x as tf.Tensor, { h: h0 as tf.Tensor, c: c0 as tf.Tensor });
                return { h1: s.h, c1: s.c };
              },
            },
            losses.lstm_cell as number,
          );
        });

        it('layer_norm: AoANet LayerNorm(32) (unbiased std, eps on the std)', () => {
          const norm = new LayerNorm({ features: 32, variant: 'annotated' });
          expectCaseMatches(
            fx,
            { name: 'layer_norm', module: norm, inputs: ['x'], run: ({ x }) => ({ y: norm.apply(x as tf.Tensor) }) },
            losses.layer_norm as number,
          );
        });

        it("mhda_decoder: LayerNorm'd projected single query, unprojected keys/values, masks 6/4/2", () => {
          const att = new MultiHeadAttention({
            modelDim: 32,
            numHeads: 4,
            projectKeyValue: false,
            outputLayer: false,
            queryNorm: 'annotated',
          });
          expectCaseMatches(fx, attentionCase('mhda_decoder', att), losses.mhda_decoder as number);
        });

        it('mhda_refiner (composition): projected q/k/v + AoA gate built from attend, Linear and GLU', () => {
          const att = new AoAAttentionForTest(32, 4);
          expectCaseMatches(fx, attentionCase('mhda_refiner', att), losses.mhda_refiner as number);
        });

        it('refiner_layer (composition): SublayerConnection around the AoA attention', () => {
          const layer = new RefinerLayerForTest(32, 4);
          expectCaseMatches(
            fx,
            {
              name: 'refiner_layer',
              module: layer,
              inputs: ['x'],
              constants: ['mask'],
              run: ({ x, mask }) => ({ y: layer.apply(x as tf.Tensor, mask as tf.Tensor) }),
            },
            losses.refiner_layer as number,
          );
        });
      });
    }
  },
);
