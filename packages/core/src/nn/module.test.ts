import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../random';
import { ModuleError, StateDictError } from './errors';
import { constantInit, uniformInit } from './init';
import { defaultRandom, manualSeed, Module, type ModuleOptions } from './module';
import { moduleFromJSON, registerModuleClass } from './registry';
import { readyBackend } from './test-helpers';

interface LeafConfig {
  inFeatures: number;
  outFeatures: number;
}

/** A minimal module with two parameters, written against the subclass contract only. */
class Leaf extends Module<LeafConfig> {
  static override readonly className = 'test.Leaf';
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  constructor(config: LeafConfig, options: ModuleOptions = {}) {
    super({ ...config }, options);
    this.weight = this.addParameter('weight', [config.outFeatures, config.inFeatures], uniformInit(0.5));
    this.bias = this.addParameter('bias', [config.outFeatures], constantInit(0));
  }
}

interface TreeConfig {
  dim: number;
  depth: number;
}

class Tree extends Module<TreeConfig> {
  static override readonly className = 'test.Tree';
  readonly layers: Leaf[] = [];
  readonly head: Leaf;
  constructor(config: TreeConfig, options: ModuleOptions = {}) {
    super({ ...config }, options);
    this.head = this.addModule('head', new Leaf({ inFeatures: config.dim, outFeatures: 1 }, { rng: this.rng }));
    const list = this.addModule('layers', new Group({}, { rng: this.rng }));
    for (let i = 0; i < config.depth; i++) {
      this.layers.push(
        list.add(String(i), new Leaf({ inFeatures: config.dim, outFeatures: config.dim }, { rng: this.rng })),
      );
    }
  }
}

class Group extends Module<Record<string, never>> {
  static override readonly className = 'test.Group';
  constructor(config: Record<string, never>, options: ModuleOptions = {}) {
    super(config, options);
  }
  add<M extends Module>(name: string, m: M): M {
    return this.addModule(name, m);
  }
}

describe('Module', () => {
  beforeAll(readyBackend);

  it('names parameters PyTorch-style in registration order and counts them', () => {
    const tree = new Tree({ dim: 3, depth: 2 }, { rng: new Random(1) });
    expect(tree.namedParameters().map(([n, v]) => [n, v.shape])).toEqual([
      ['head.weight', [1, 3]],
      ['head.bias', [1]],
      ['layers.0.weight', [3, 3]],
      ['layers.0.bias', [3]],
      ['layers.1.weight', [3, 3]],
      ['layers.1.bias', [3]],
    ]);
    expect(tree.parameterCount()).toBe(3 + 1 + 2 * (9 + 3));
    expect(tree.parameters()).toHaveLength(6);
    expect(tree.namedModules().map(([n]) => n)).toEqual(['', 'head', 'layers', 'layers.0', 'layers.1']);
    expect(tree.getParameter('layers.1.bias')).toBe(tree.layers[1]?.bias);
    expect(tree.getModule('layers.0')).toBe(tree.layers[0]);
    expect(() => tree.getParameter('layers.2.bias')).toThrow(/no parameter named 'layers.2.bias'/);
    tree.dispose();
  });

  it('creates trainable variables with unique engine names', () => {
    const a = new Leaf({ inFeatures: 2, outFeatures: 2 });
    const b = new Leaf({ inFeatures: 2, outFeatures: 2 });
    const names = [...a.parameters(), ...b.parameters()].map((v) => v.name);
    expect(new Set(names).size).toBe(4);
    expect([...a.parameters(), ...b.parameters()].every((v) => v.trainable)).toBe(true);
    a.dispose();
    b.dispose();
  });

  it('draws the same initial weights from the same seed, different ones from different seeds', () => {
    const w = (seed: number) => {
      const m = new Tree({ dim: 4, depth: 1 }, { rng: new Random(seed) });
      const values = Array.from(m.getParameter('layers.0.weight').dataSync());
      m.dispose();
      return values;
    };
    expect(w(7)).toEqual(w(7));
    expect(w(7)).not.toEqual(w(8));
    manualSeed(3);
    const first = new Leaf({ inFeatures: 2, outFeatures: 2 });
    manualSeed(3);
    const second = new Leaf({ inFeatures: 2, outFeatures: 2 });
    expect(Array.from(first.weight.dataSync())).toEqual(Array.from(second.weight.dataSync()));
    expect(second.rng).toBe(defaultRandom());
    first.dispose();
    second.dispose();
  });

  it('propagates train/eval mode and the random source to every descendant', () => {
    const tree = new Tree({ dim: 2, depth: 2 });
    expect(tree.namedModules().every(([, m]) => m.training)).toBe(true);
    tree.eval();
    expect(tree.namedModules().every(([, m]) => !m.training)).toBe(true);
    tree.train();
    expect(tree.namedModules().every(([, m]) => m.training)).toBe(true);
    const rng = new Random(99);
    tree.useRandom(rng);
    expect(tree.namedModules().every(([, m]) => m.rng === rng)).toBe(true);
    tree.dispose();
  });

  it('round-trips weights through stateDict/loadStateDict', () => {
    const a = new Tree({ dim: 3, depth: 2 }, { rng: new Random(1) });
    const b = new Tree({ dim: 3, depth: 2 }, { rng: new Random(2) });
    const before = tf.memory().numTensors;
    const result = b.loadStateDict(a.stateDict());
    expect(result).toEqual({ missing: [], unexpected: [] });
    expect(tf.memory().numTensors).toBe(before);
    for (const [name, v] of a.stateDict()) {
      expect(Array.from(b.stateDict().get(name)?.dataSync() ?? [])).toEqual(Array.from(v.dataSync()));
    }
    a.dispose();
    b.dispose();
  });

  it('names missing, unexpected and mis-shaped weights and loads nothing on error', () => {
    const m = new Tree({ dim: 3, depth: 1 }, { rng: new Random(1) });
    const original = Array.from(m.getParameter('head.weight').dataSync());
    const sd = new Map<string, tf.Tensor>([
      ['head.weight', tf.ones([1, 3])],
      ['layers.0.weight', tf.ones([3, 4])],
      ['layers.0.bias', tf.ones([3])],
      ['layers.9.bias', tf.ones([3])],
    ]);
    let error: unknown;
    try {
      m.loadStateDict(sd);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StateDictError);
    const err = error as StateDictError;
    expect(err.missing).toEqual(['head.bias']);
    expect(err.unexpected).toEqual(['layers.9.bias']);
    expect(err.mismatched).toEqual([{ name: 'layers.0.weight', expected: [3, 3], actual: [3, 4] }]);
    expect(err.message).toContain('layers.0.weight expected [3, 3] got [3, 4]');
    expect(err.message).toContain('missing weights: head.bias');
    expect(Array.from(m.getParameter('head.weight').dataSync())).toEqual(original);

    // strict: false loads what matches and reports the rest; shape mismatches still throw.
    sd.get('layers.0.weight')?.dispose();
    sd.set('layers.0.weight', tf.ones([3, 3]));
    const result = m.loadStateDict(sd, { strict: false });
    expect(result).toEqual({ missing: ['head.bias'], unexpected: ['layers.9.bias'] });
    expect(Array.from(m.getParameter('head.weight').dataSync())).toEqual([1, 1, 1]);
    for (const t of sd.values()) t.dispose();
    m.dispose();
  });

  it('accepts a plain object and casts integer tensors', () => {
    const m = new Leaf({ inFeatures: 2, outFeatures: 1 });
    const w = tf.tensor2d([[1, 2]], [1, 2], 'int32');
    const b = tf.tensor1d([3], 'int32');
    m.loadStateDict({ weight: w, bias: b });
    expect(m.weight.dtype).toBe('float32');
    expect(Array.from(m.weight.dataSync())).toEqual([1, 2]);
    tf.dispose([w, b]);
    m.dispose();
  });

  it('serialises its config and is rebuilt by moduleFromJSON', () => {
    registerModuleClass(Tree);
    const m = new Tree({ dim: 2, depth: 3 });
    const json = JSON.parse(JSON.stringify(m)) as unknown;
    expect(json).toEqual({ className: 'test.Tree', config: { dim: 2, depth: 3 } });
    const rebuilt = moduleFromJSON(json as { className: string; config: object });
    expect(rebuilt).toBeInstanceOf(Tree);
    expect(rebuilt.namedParameters().map(([n, v]) => [n, v.shape])).toEqual(
      m.namedParameters().map(([n, v]) => [n, v.shape]),
    );
    expect(() => moduleFromJSON({ className: 'test.Nope', config: {} })).toThrow(/unknown className 'test.Nope'/);
    m.dispose();
    rebuilt.dispose();
  });

  it('disposes every variable and refuses use afterwards', () => {
    const before = tf.memory().numTensors;
    const m = new Tree({ dim: 2, depth: 2 });
    expect(tf.memory().numTensors).toBe(before + 6);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(m.disposed).toBe(true);
    expect(() => m.stateDict()).toThrow(ModuleError);
    m.dispose();
  });

  it('rejects duplicate and malformed names', () => {
    const g = new Group({});
    g.add('a', new Leaf({ inFeatures: 1, outFeatures: 1 }));
    const spare = new Leaf({ inFeatures: 1, outFeatures: 1 });
    expect(() => g.add('a', spare)).toThrow(/already registered/);
    expect(() => g.add('a.b', spare)).toThrow(/letters, digits/);
    spare.dispose();
    g.dispose();
  });
});
