import { serializeSafetensors, moduleFromJSON, Random, type SafetensorsArray } from '@caption/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import '../index';
import { GPT2_SMALL_CONFIG, gpt2ConfigFromHuggingFace, type GPT2Config } from './config';
import { GPT2ConfigError, GPT2InputError, WeightsFileError } from './errors';
import { GPT2LMHeadModel, GPT2Model, type GPT2LayerCache } from './gpt2';
import { loadGPT2Weights } from './weights';
import { parseSafetensors } from '@caption/core';

const TINY: GPT2Config = {
  vocabSize: 50,
  nPositions: 16,
  nEmbd: 16,
  nLayer: 2,
  nHead: 4,
  embdPdrop: 0,
  attnPdrop: 0,
  residPdrop: 0,
};

function fileOf(entries: Map<string, { data: SafetensorsArray; shape: number[] }>) {
  return parseSafetensors(serializeSafetensors(entries), 'test.safetensors');
}

function hfEntries(model: GPT2LMHeadModel, withLmHead: boolean, prefix = 'transformer.') {
  const out = new Map<string, { data: SafetensorsArray; shape: number[] }>();
  for (const [name, t] of model.stateDict()) {
    out.set(prefix + name.slice('transformer.'.length), { data: Float32Array.from(t.dataSync()), shape: [...t.shape] });
  }
  if (withLmHead) out.set('lm_head.weight', out.get(`${prefix}wte.weight`)!);
  // HF checkpoints of older transformers versions carry the causal-mask buffers.
  out.set(`${prefix}h.0.attn.bias`, { data: new Float32Array(16 * 16), shape: [1, 1, 16, 16] });
  return out;
}

describe('GPT-2', () => {
  it('GPT-2 small built from its config has 124,439,808 parameters with Hugging Face names and shapes', () => {
    const gpt = new GPT2LMHeadModel(GPT2_SMALL_CONFIG, { rng: new Random(0) });
    try {
      expect(gpt.parameterCount()).toBe(124_439_808);
      const shapes = new Map([...gpt.stateDict()].map(([n, t]) => [n, t.shape]));
      expect(shapes.size).toBe(148); // wte, wpe, 12 × 12 block tensors, ln_f weight and bias
      expect(shapes.get('transformer.wte.weight')).toEqual([50257, 768]);
      expect(shapes.get('transformer.wpe.weight')).toEqual([1024, 768]);
      expect(shapes.get('transformer.h.0.attn.c_attn.weight')).toEqual([768, 2304]);
      expect(shapes.get('transformer.h.11.attn.c_proj.weight')).toEqual([768, 768]);
      expect(shapes.get('transformer.h.5.mlp.c_fc.weight')).toEqual([768, 3072]);
      expect(shapes.get('transformer.h.5.mlp.c_proj.weight')).toEqual([3072, 768]);
      expect(shapes.get('transformer.ln_f.bias')).toEqual([768]);
      expect(shapes.has('lm_head.weight')).toBe(false); // tied to wte: one variable
    } finally {
      gpt.dispose();
    }
  });

  it('initialises as GPT-2: weights N(0, 0.02), output projections N(0, 0.02/√(2·nLayer)), biases 0, LayerNorms 1', () => {
    const gpt = new GPT2LMHeadModel({ ...TINY, nEmbd: 64, nInner: 256 }, { rng: new Random(3) });
    const std = (name: string) => tf.tidy(() => Math.sqrt(tf.moments(gpt.getParameter(name)).variance.dataSync()[0]!));
    expect(std('transformer.wte.weight')).toBeCloseTo(0.02, 2);
    expect(std('transformer.h.0.attn.c_attn.weight')).toBeCloseTo(0.02, 2);
    expect(std('transformer.h.1.mlp.c_proj.weight')).toBeCloseTo(0.01, 2);
    expect([...gpt.getParameter('transformer.h.0.attn.c_attn.bias').dataSync()].every((v) => v === 0)).toBe(true);
    expect([...gpt.getParameter('transformer.ln_f.weight').dataSync()].every((v) => v === 1)).toBe(true);
    gpt.dispose();
  });

  it('round-trips through JSON (moduleFromJSON) and reads a Hugging Face config.json', () => {
    const gpt = new GPT2LMHeadModel(TINY);
    const copy = moduleFromJSON(JSON.parse(JSON.stringify(gpt.toJSON())));
    expect(copy).toBeInstanceOf(GPT2LMHeadModel);
    expect([...copy.stateDict()].map(([n, t]) => [n, t.shape])).toEqual(
      [...gpt.stateDict()].map(([n, t]) => [n, t.shape]),
    );
    const hf = {
      vocab_size: 50,
      n_positions: 16,
      n_embd: 16,
      n_layer: 2,
      n_head: 4,
      n_inner: null,
      activation_function: 'gelu_new',
    };
    expect(gpt2ConfigFromHuggingFace(hf)).toEqual({
      vocabSize: 50,
      nPositions: 16,
      nEmbd: 16,
      nLayer: 2,
      nHead: 4,
      activationFunction: 'gelu_new',
    });
    expect(() => gpt2ConfigFromHuggingFace({ ...hf, activation_function: 'silu' })).toThrow(GPT2ConfigError);
    expect(() => gpt2ConfigFromHuggingFace({ ...hf, tie_word_embeddings: false })).toThrow(/tie_word_embeddings/);
    expect(() => new GPT2Model({ ...TINY, nHead: 5 })).toThrow(/nHead.*does not divide nEmbd 16/);
    tf.dispose([gpt, copy].flatMap((m) => m.parameters()));
  });

  it('loads Hugging Face weights with or without the transformer. prefix, lm_head absent or an equal copy, mask buffers skipped', () => {
    const source = new GPT2LMHeadModel(TINY, { rng: new Random(1) });
    const ids = tf.tensor2d([[3, 1, 4, 1, 5]], [1, 5], 'int32');
    const expected = tf.tidy(() => source.forward({ inputIds: ids }).logits.dataSync());
    for (const [withLmHead, prefix] of [
      [true, 'transformer.'],
      [false, 'transformer.'],
      [false, ''],
    ] as const) {
      const target = new GPT2LMHeadModel(TINY, { rng: new Random(2) });
      loadGPT2Weights(target, fileOf(hfEntries(source, withLmHead, prefix)));
      expect(tf.tidy(() => target.forward({ inputIds: ids }).logits.dataSync())).toEqual(expected);
      target.dispose();
    }
    const body = new GPT2Model(TINY, { rng: new Random(2) });
    loadGPT2Weights(body, fileOf(hfEntries(source, true)));
    expect(tf.tidy(() => body.hiddenStates(ids).dataSync())).toEqual(
      tf.tidy(() => source.transformer.hiddenStates(ids).dataSync()),
    );
    tf.dispose([ids, ...body.parameters(), ...source.parameters()]);
  });

  it('a weights file that does not fit the config is a WeightsFileError listing every name and shape; nothing is loaded', () => {
    const source = new GPT2LMHeadModel({ ...TINY, nLayer: 3, nPositions: 20 }, { rng: new Random(1) });
    const target = new GPT2LMHeadModel(TINY, { rng: new Random(2) });
    const before = target.getParameter('transformer.wte.weight').dataSync().slice();
    let error: unknown;
    try {
      loadGPT2Weights(target, fileOf(hfEntries(source, true)), 'gpt2/model.safetensors');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WeightsFileError);
    const e = error as WeightsFileError;
    expect(e.file).toBe('gpt2/model.safetensors');
    expect(e.unexpected.sort()).toEqual(
      [
        'attn.c_attn.bias',
        'attn.c_attn.weight',
        'attn.c_proj.bias',
        'attn.c_proj.weight',
        'ln_1.bias',
        'ln_1.weight',
        'ln_2.bias',
        'ln_2.weight',
        'mlp.c_fc.bias',
        'mlp.c_fc.weight',
        'mlp.c_proj.bias',
        'mlp.c_proj.weight',
      ].map((n) => `transformer.h.2.${n}`),
    );
    expect(e.mismatched).toEqual([{ name: 'transformer.wpe.weight', expected: [16, 16], actual: [20, 16] }]);
    expect(e.message).toMatch(
      /^gpt2\/model\.safetensors: weights do not fit the model: unexpected weights: .*shape mismatch: transformer\.wpe\.weight expected \[16, 16\] got \[20, 16\]/,
    );
    expect(target.getParameter('transformer.wte.weight').dataSync()).toEqual(before);

    const partial = hfEntries(target, false);
    partial.delete('transformer.ln_f.bias');
    expect(() => loadGPT2Weights(target, fileOf(partial), 'x.safetensors')).toThrow(
      /missing weights: transformer\.ln_f\.bias/,
    );
    const untied = hfEntries(target, true);
    untied.set('lm_head.weight', { data: new Float32Array(50 * 16), shape: [50, 16] });
    expect(() => loadGPT2Weights(target, fileOf(untied), 'x.safetensors')).toThrow(
      /'lm_head.weight' differs from 'transformer.wte.weight'/,
    );
    tf.dispose([...source.parameters(), ...target.parameters()]);
  });

  it('the KV cache gives the logits of a full re-run, and masks only change padded query rows', () => {
    const gpt = new GPT2LMHeadModel(TINY, { rng: new Random(4) }).eval();
    const ids = [[5, 9, 2, 7, 7, 1, 30, 4]];
    tf.tidy(() => {
      const full = gpt.forward({ inputIds: tf.tensor2d(ids, [1, 8], 'int32') }).logits;
      const first = gpt.forward({ inputIds: tf.tensor2d([ids[0]!.slice(0, 5)], [1, 5], 'int32'), useCache: true });
      let past: GPT2LayerCache[] = first.presents!;
      const pieces = [first.logits];
      for (let t = 5; t < 8; t++) {
        const out = gpt.forward({ inputIds: tf.tensor2d([[ids[0]![t]!]], [1, 1], 'int32'), past, useCache: true });
        past = out.presents!;
        pieces.push(out.logits);
      }
      expect(past[0]!.key.shape).toEqual([1, 4, 8, 4]);
      const stepped = tf.concat(pieces, 1);
      expect(tf.max(tf.abs(tf.sub(full, stepped))).dataSync()[0]).toBeLessThan(1e-5);
      const mask = tf.tensor2d([[1, 1, 1, 1, 1, 1, 0, 0]], [1, 8]);
      const masked = gpt.forward({ inputIds: tf.tensor2d(ids, [1, 8], 'int32'), attentionMask: mask }).logits;
      expect(
        tf
          .max(tf.abs(tf.sub(tf.slice(full, [0, 0, 0], [1, 6, 50]), tf.slice(masked, [0, 0, 0], [1, 6, 50]))))
          .dataSync()[0],
      ).toBe(0);
      expect(
        tf
          .max(tf.abs(tf.sub(tf.slice(full, [0, 7, 0], [1, 1, 50]), tf.slice(masked, [0, 7, 0], [1, 1, 50]))))
          .dataSync()[0],
      ).toBeGreaterThan(1e-4);
    });
    gpt.dispose();
  });

  it('hiddenStatesAt reads each row at its own position (a GPT-2 text tower at its end-of-text token)', () => {
    const gpt = new GPT2Model(TINY, { rng: new Random(5) }).eval();
    tf.tidy(() => {
      const ids = tf.tensor2d(
        [
          [1, 2, 3, 4],
          [5, 6, 7, 8],
        ],
        [2, 4],
        'int32',
      );
      const all = gpt.hiddenStates(ids).arraySync();
      const at = gpt.hiddenStatesAt(ids, tf.tensor1d([3, 1], 'int32')).arraySync();
      expect(at).toEqual([all[0]![3], all[1]![1]]);
      expect(() => gpt.hiddenStatesAt(ids, tf.tensor1d([4, 0], 'int32'))).toThrow(GPT2InputError);
    });
    gpt.dispose();
  });

  it('positions past nPositions, ids outside the vocabulary and bad masks are GPT2InputErrors', () => {
    const gpt = new GPT2LMHeadModel(TINY).eval();
    tf.tidy(() => {
      expect(() => gpt.forward({ inputIds: tf.zeros([1, 17], 'int32') as tf.Tensor2D })).toThrow(
        /positions 17 \(cache 0 \+ input 17\) exceed the model's nPositions 16/,
      );
      const first = gpt.forward({ inputsEmbeds: tf.zeros([1, 15, 16]) as tf.Tensor3D, useCache: true });
      expect(() => gpt.forward({ inputIds: tf.zeros([1, 2], 'int32') as tf.Tensor2D, past: first.presents! })).toThrow(
        GPT2InputError,
      );
      expect(() => gpt.forward({ inputIds: tf.tensor2d([[1, 50]], [1, 2], 'int32') })).toThrow(
        /holds 50 at flat index 1, outside the vocabulary 0..49/,
      );
      expect(() =>
        gpt.forward({
          inputIds: tf.zeros([1, 2], 'int32') as tf.Tensor2D,
          attentionMask: tf.ones([1, 3]) as tf.Tensor2D,
        }),
      ).toThrow(/attentionMask must be \[1, 2\]/);
    });
    gpt.dispose();
  });
});
