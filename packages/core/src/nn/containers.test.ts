import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../random';
import { Activation, GLU } from './activation';
import { ModuleList, Sequential } from './containers';
import { Dropout } from './dropout';
import { Embedding } from './embedding';
import { PositionwiseFeedForward } from './feed-forward';
import { LayerNorm } from './layer-norm';
import { Linear } from './linear';
import { LSTMCell } from './lstm-cell';
import type { Module } from './module';
import { MultiHeadAttention } from './multi-head-attention';
import { CORE_MODULE_CLASSES } from './core-modules';
import { moduleFromJSON, registerModuleClass, registeredModuleClasses } from './registry';
import { SublayerConnection } from './sublayer-connection';
import { maxAbsDiff } from '@caption/test-support';
import { readyBackend } from './test-helpers';

describe('containers and all core layers', () => {
  beforeAll(readyBackend);

  it('give numeric PyTorch names (embed.0.weight, aoa_layer.0.bias)', () => {
    const embed = new Sequential([
      new Embedding({ numEmbeddings: 5, embeddingDim: 3 }),
      new Activation({ fn: 'relu' }),
      new Dropout({ rate: 0.5 }),
    ]);
    expect(embed.namedParameters().map(([n]) => n)).toEqual(['0.weight']);
    const gate = new Sequential([new Linear({ inFeatures: 4, outFeatures: 4 }), new GLU()]);
    expect(gate.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias']);
    const list = new ModuleList([
      new Linear({ inFeatures: 2, outFeatures: 2 }),
      new Linear({ inFeatures: 2, outFeatures: 1 }),
    ]);
    expect(list.length).toBe(2);
    expect(list.get(1).config.outFeatures).toBe(1);
    expect(() => list.get(2)).toThrow(/index 2 out of range \(length 2\)/);
    expect([...list].length).toBe(2);

    embed.eval();
    const ids = tf.tensor1d([1, 4], 'int32');
    const y = embed.apply(ids);
    const expected = tf.tidy(() => tf.relu(tf.gather(embed.get(0).namedParameters()[0]?.[1] as tf.Tensor, ids)));
    expect(maxAbsDiff(y.dataSync(), expected.dataSync())).toBe(0);
    tf.dispose([ids, y, expected]);
    for (const m of [embed, gate, list]) m.dispose();
  });

  it('every core layer leaves no tensor behind after apply under tidy and after a gradient computation', () => {
    const rng = new Random(3);
    const x = tf.variable(tf.randomNormal([2, 3, 8], 0, 1, 'float32', 1));
    const ids = tf.tensor2d(
      [
        [1, 2, 3],
        [0, 4, 4],
      ],
      [2, 3],
      'int32',
    );
    const mask = tf.tensor2d([
      [1, 1, 0],
      [1, 0, 0],
    ]);
    const cases: Array<[Module, () => tf.Tensor]> = [];
    const add = <M extends Module>(m: M, run: (m: M) => tf.Tensor) => cases.push([m, () => run(m)]);
    add(new Linear({ inFeatures: 8, outFeatures: 4 }, { rng }), (m) => m.apply(x));
    add(new Embedding({ numEmbeddings: 5, embeddingDim: 8 }, { rng }), (m) => tf.mul(m.apply(ids), x));
    add(new LayerNorm({ features: 8, variant: 'annotated' }, { rng }), (m) => m.apply(x));
    add(new LayerNorm({ features: 8 }, { rng }), (m) => m.apply(x));
    add(new Dropout({ rate: 0.5 }, { rng }), (m) => m.apply(x));
    add(new Activation({ fn: 'gelu' }, { rng }), (m) => m.apply(x));
    add(new GLU({}, { rng }), (m) => m.apply(x));
    add(new LSTMCell({ inputSize: 8, hiddenSize: 4 }, { rng }), (m) => m.apply(tf.reshape(x, [6, 8])).h);
    add(new MultiHeadAttention({ modelDim: 8, numHeads: 2, queryNorm: 'annotated' }, { rng }), (m) =>
      m.apply(x, x, x, mask),
    );
    add(new PositionwiseFeedForward({ modelDim: 8, hiddenDim: 16 }, { rng }), (m) => m.apply(x));
    add(new SublayerConnection({ size: 8 }, { rng }), (m) => m.apply(x, (n) => tf.tanh(n)));
    add(new Sequential([new Linear({ inFeatures: 8, outFeatures: 8 }, { rng }), new GLU()], { rng }), (m) =>
      m.apply(x),
    );
    for (const [module, run] of cases) {
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        run();
      });
      expect(tf.memory().numTensors, `${module.className}: apply under tidy`).toBe(before);
      tf.tidy(() => {
        tf.variableGrads(() => tf.sum(run()) as tf.Scalar, [x, ...module.parameters()]);
      });
      expect(tf.memory().numTensors, `${module.className}: gradients under tidy`).toBe(before);
      module.dispose();
    }
    tf.dispose([x, ids, mask]);
  });

  it('every core layer round-trips through JSON (same config, names and shapes)', () => {
    const rng = new Random(1);
    const modules: Module[] = [
      new Linear({ inFeatures: 3, outFeatures: 2, bias: false }, { rng }),
      new Embedding({ numEmbeddings: 7, embeddingDim: 2 }, { rng }),
      new LayerNorm({ features: 4, variant: 'annotated', eps: 1e-5 }, { rng }),
      new Dropout({ rate: 0.2 }, { rng }),
      new Activation({ fn: 'gelu' }, { rng }),
      new GLU({ axis: 1 }, { rng }),
      new LSTMCell({ inputSize: 3, hiddenSize: 2 }, { rng }),
      new MultiHeadAttention(
        { modelDim: 8, numHeads: 2, scale: 2, projectKeyValue: false, queryNorm: 'standard', dropout: 0 },
        { rng },
      ),
      new PositionwiseFeedForward({ modelDim: 4, hiddenDim: 8, dropout: 0.3, activation: 'gelu_tanh' }, { rng }),
      new SublayerConnection({ size: 4, normVariant: 'standard' }, { rng }),
      new ModuleList([new Linear({ inFeatures: 1, outFeatures: 1 }, { rng })], { rng }),
      new Sequential([new Linear({ inFeatures: 4, outFeatures: 4 }, { rng }), new GLU({}, { rng })], { rng }),
    ];
    registerModuleClass(...CORE_MODULE_CLASSES);
    const classes = new Set(modules.map((m) => m.className));
    for (const name of classes) expect(registeredModuleClasses()).toContain(name);
    for (const m of modules) {
      const json = JSON.parse(JSON.stringify(m)) as { className: string; config: object };
      const rebuilt = moduleFromJSON(json, { rng: new Random(2) });
      expect(rebuilt.constructor).toBe(m.constructor);
      expect(rebuilt.config).toEqual(m.config);
      expect(JSON.parse(JSON.stringify(rebuilt))).toEqual(json);
      expect(rebuilt.namedParameters().map(([n, v]) => [n, v.shape])).toEqual(
        m.namedParameters().map(([n, v]) => [n, v.shape]),
      );
      rebuilt.dispose();
      m.dispose();
    }
  });
});
