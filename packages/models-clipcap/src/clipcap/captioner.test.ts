import {
  AdamW,
  type CaptionModel,
  computeGradients,
  EnsembleCaptionModel,
  greedyDecode,
  moduleFromJSON,
  parseSafetensors,
  Random,
  serializeSafetensors,
  type SafetensorsArray,
} from '@caption/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import '../index';
import { GPT2_SMALL_CONFIG, type GPT2Config } from '../gpt2/config';
import { GPT2InputError } from '../gpt2/errors';
import { WeightsFileError } from '../weights';
import { GPT2LMHeadModel, GPT2Model } from '../gpt2/gpt2';
import { ClipCapDecoder } from '../generation/decoder';
import { generateBeam, generateGreedy, generateTopP } from '../generation/generate';
import {
  CAPTION_PADDING,
  ClipCapModel,
  clipCapMaxSequenceLength,
  copyGPT2,
  loadClipCapWeights,
  padCaptions,
  type ClipCapConfig,
} from './captioner';
import { ClipCapConfigError, ClipCapInputError } from './errors';

const GPT: GPT2Config = {
  vocabSize: 40,
  nPositions: 24,
  nEmbd: 16,
  nLayer: 2,
  nHead: 4,
  embdPdrop: 0,
  attnPdrop: 0,
  residPdrop: 0,
};
const TINY: ClipCapConfig = { gpt: GPT, prefixSize: 12, prefixLength: 4, clipLength: 3, numLayers: 2 };

function clipBatch(rows: number, seed: number): tf.Tensor2D {
  const values = Float32Array.from({ length: rows * 12 }, (_, i) => Math.sin(i * 1.7 + seed) * 2);
  return tf.tensor2d(values, [rows, 12]);
}

describe('ClipCap captioner', () => {
  it('real sizes: GPT-2 small 124,439,808 parameters with HF names and shapes; trainable MLP 31,468,800, TransformerMapper 41,745,408', () => {
    const gpt = new GPT2LMHeadModel(GPT2_SMALL_CONFIG, { rng: new Random(0) });
    const counts: Record<string, number> = { gpt2: gpt.parameterCount() };
    const shapes = new Map([...gpt.stateDict()].map(([n, t]) => [n, t.shape]));
    expect(shapes.size).toBe(148); // wte, wpe, 12 × 12 block tensors, ln_f weight and bias; lm_head tied to wte
    expect(shapes.get('transformer.wte.weight')).toEqual([50257, 768]);
    expect(shapes.get('transformer.wpe.weight')).toEqual([1024, 768]);
    expect(shapes.get('transformer.h.0.attn.c_attn.weight')).toEqual([768, 2304]);
    expect(shapes.get('transformer.h.11.attn.c_proj.weight')).toEqual([768, 768]);
    expect(shapes.get('transformer.h.5.mlp.c_fc.weight')).toEqual([768, 3072]);
    expect(shapes.get('transformer.h.5.mlp.c_proj.weight')).toEqual([3072, 768]);
    expect(shapes.get('transformer.ln_f.bias')).toEqual([768]);
    for (const mappingType of ['mlp', 'transformer'] as const) {
      for (const prefixSize of [512, 640]) {
        const config = {
          gpt: GPT2_SMALL_CONFIG,
          prefixSize,
          prefixLength: 10,
          clipLength: 10,
          numLayers: 8,
          mappingType,
        };
        const model = new ClipCapModel({ ...config, onlyPrefix: true }, { gpt });
        counts[`${mappingType} ${prefixSize} prefix`] = model.parameterCount();
        // Without onlyPrefix everything is trained: every weight of the state dict (the tied head counted once).
        counts[`${mappingType} ${prefixSize} all`] = [...model.stateDict().values()].reduce((n, t) => n + t.size, 0);
        model.clip_project.dispose(); // the GPT-2 is shared by every model here
      }
    }
    gpt.dispose();
    // ../shared/data/clipcap-reference/mapper.json real_config_trainable_parameter_counts, from the original classes
    expect(counts).toEqual({
      gpt2: 124_439_808,
      'mlp 512 prefix': 31_468_800,
      'mlp 512 all': 155_908_608,
      'mlp 640 prefix': 31_960_320,
      'mlp 640 all': 156_400_128,
      'transformer 512 prefix': 41_745_408,
      'transformer 512 all': 166_185_216,
      'transformer 640 prefix': 42_728_448,
      'transformer 640 all': 167_168_256,
    });
  });

  it('ClipCap state-dict names, JSON round trip, and loading a ClipCap checkpoint (gpt.lm_head.weight a copy)', () => {
    const model = new ClipCapModel({ ...TINY, mappingType: 'transformer' }, { rng: new Random(1) });
    const names = [...model.stateDict().keys()];
    expect(names).toContain('gpt.transformer.h.1.attn.c_attn.weight');
    expect(names).toContain('clip_project.prefix_const');
    expect(names).toContain('clip_project.transformer.layers.1.attn.to_keys_values.weight');
    const copy = moduleFromJSON(JSON.parse(JSON.stringify(model.toJSON()))) as ClipCapModel;
    expect(copy).toBeInstanceOf(ClipCapModel);
    const entries = new Map<string, { data: SafetensorsArray; shape: number[] }>();
    for (const [n, t] of model.stateDict())
      entries.set(n, { data: Float32Array.from(t.dataSync()), shape: [...t.shape] });
    entries.set('gpt.lm_head.weight', entries.get('gpt.transformer.wte.weight')!);
    loadClipCapWeights(copy, parseSafetensors(serializeSafetensors(entries)));
    const clip = clipBatch(2, 0);
    const tokens = tf.tensor2d(
      [
        [1, 2, 3],
        [4, 5, CAPTION_PADDING],
      ],
      [2, 3],
      'int32',
    );
    expect(tf.tidy(() => copy.loss(clip, tokens).dataSync()[0])).toBe(
      tf.tidy(() => model.loss(clip, tokens).dataSync()[0]),
    );
    entries.delete('clip_project.linear.bias');
    expect(() =>
      loadClipCapWeights(copy, parseSafetensors(serializeSafetensors(entries)), 'coco_weights.safetensors'),
    ).toThrow(/coco_weights\.safetensors: weights do not fit the model: missing weights: clip_project\.linear\.bias/);
    expect(() => loadClipCapWeights(copy, parseSafetensors(serializeSafetensors(entries)))).toThrow(WeightsFileError);
    tf.dispose([clip, tokens]);
    model.dispose();
    copy.dispose();
  });

  it('shares a GPT-2 (same variables: a CLIP GPT-2 text tower) or copies it (initialised from)', () => {
    const tower = new GPT2Model(GPT, { rng: new Random(2) });
    const shared = new ClipCapModel(TINY, { gpt: new GPT2LMHeadModel(GPT, { transformer: tower }) });
    const copied = new ClipCapModel(TINY, { gpt: copyGPT2(tower) });
    expect(shared.gpt.transformer.wte.weight).toBe(tower.wte.weight);
    expect(copied.gpt.transformer.wte.weight).not.toBe(tower.wte.weight);
    expect(copied.gpt.transformer.wte.weight.dataSync()).toEqual(tower.wte.weight.dataSync());
    tf.tidy(() => tower.h.get(0).attn.c_attn.weight.assign(tf.zerosLike(tower.h.get(0).attn.c_attn.weight)));
    expect(
      shared
        .getParameter('gpt.transformer.h.0.attn.c_attn.weight')
        .dataSync()
        .every((v) => v === 0),
    ).toBe(true);
    expect(
      copied
        .getParameter('gpt.transformer.h.0.attn.c_attn.weight')
        .dataSync()
        .some((v) => v !== 0),
    ).toBe(true);
    expect(() => new ClipCapModel({ ...TINY, gpt: { ...GPT, nLayer: 3 } }, { gpt: shared.gpt })).toThrow(
      ClipCapConfigError,
    );
    shared.clip_project.dispose();
    copied.dispose();
    tower.dispose();
  });

  it('onlyPrefix trains the mapper only (ClipCaptionPrefix): parameters, gradients, GPT kept in eval mode; the loss goes down', () => {
    const full = new ClipCapModel(TINY, { rng: new Random(3) });
    const model = new ClipCapModel({ ...TINY, onlyPrefix: true }, { rng: new Random(3) });
    expect(full.parameterCount()).toBe([...full.stateDict().values()].reduce((n, t) => n + t.size, 0));
    expect(model.parameterCount()).toBe(full.clip_project.parameterCount());
    full.dispose();
    model.train();
    expect(model.namedParameters().every(([n]) => n.startsWith('clip_project.'))).toBe(true);
    expect([...model.stateDict().keys()].some((n) => n.startsWith('gpt.'))).toBe(true);
    expect([model.gpt.training, model.clip_project.training]).toEqual([false, true]);
    const clip = clipBatch(4, 1);
    const tokens = tf.tensor2d(
      [
        [1, 2, 3, 4],
        [5, 6, 7, CAPTION_PADDING],
        [8, 9, CAPTION_PADDING, CAPTION_PADDING],
        [0, 1, 2, 3],
      ],
      [4, 4],
      'int32',
    );
    const gptBefore = model.getParameter('gpt.transformer.wte.weight').dataSync().slice();
    const optimizer = new AdamW(model.namedParameters(), { learningRate: 3e-3 });
    const losses: number[] = [];
    for (let step = 0; step < 15; step++) {
      const { loss, grads } = computeGradients(model.namedParameters(), () => model.loss(clip, tokens));
      expect([...grads.keys()].every((n) => n.startsWith('clip_project.'))).toBe(true);
      losses.push(loss.dataSync()[0]!);
      optimizer.step(grads);
      tf.dispose([loss, ...grads.values()]);
    }
    // A random GPT-2 barely listens to its prefix: the mapper alone lowers the loss slowly, but steadily.
    losses.slice(1).forEach((l, i) => expect(l).toBeLessThan(losses[i]!));
    expect(losses[14]!).toBeLessThan(losses[0]! - 0.03);
    expect(model.getParameter('gpt.transformer.wte.weight').dataSync()).toEqual(gptBefore);
    tf.dispose([clip, tokens]);
    model.dispose();
  });

  it('padding is -1 (never a real token): a genuine token 0 is a target, padding is not', () => {
    const model = new ClipCapModel(TINY, { rng: new Random(4) }).eval();
    tf.tidy(() => {
      const clip = clipBatch(1, 2);
      const logits = model.forward(clip, tf.tensor2d([[0, 5]], [1, 2], 'int32'));
      const lp = tf.logSoftmax(logits).arraySync()[0]!;
      const expected = -(lp[3]![0]! + lp[4]![5]!) / 2; // P = 4: position 3 predicts token 0, position 4 token 5
      expect(model.loss(clip, tf.tensor2d([[0, 5, -1]], [1, 3], 'int32')).dataSync()[0]).toBeCloseTo(expected, 5);
      expect(model.loss(clip, tf.tensor2d([[0, 5]], [1, 2], 'int32'), { ignoreIndex: 0 }).dataSync()[0]).toBeCloseTo(
        -lp[4]![5]!,
        5,
      );
    });
    expect([...padCaptions([[1, 2, 3], [4]], 2)]).toEqual([1, 2, 4, CAPTION_PADDING]);
    // mapper.json's 200 caption lengths give max_seq_len 18.
    expect(clipCapMaxSequenceLength([5, 6, 7, 20, ...Array.from({ length: 196 }, (_, i) => [6, 7, 5][i % 3]!)])).toBe(
      18,
    );
    model.dispose();
  });

  it("prefix or caption lengths past the GPT's positions are typed errors", () => {
    expect(() => new ClipCapModel({ ...TINY, prefixLength: 24 })).toThrow(
      /prefixLength.*24 leaves no position for the caption: the GPT has nPositions 24/,
    );
    const model = new ClipCapModel(TINY).eval();
    tf.tidy(() => {
      const clip = clipBatch(1, 0);
      expect(() => model.loss(clip, tf.zeros([1, 21], 'int32') as tf.Tensor2D)).toThrow(ClipCapInputError);
      expect(() => model.loss(clip, tf.zeros([1, 21], 'int32') as tf.Tensor2D)).toThrow(
        /need 25 positions, the GPT has 24/,
      );
      expect(() => model.loss(clip, tf.tensor2d([[40]], [1, 1], 'int32'))).toThrow(
        /outside the GPT's vocabulary 0..39/,
      );
      expect(() => generateGreedy(new ClipCapDecoder(model), clip, { maxLength: 22 })).toThrow(GPT2InputError);
      expect(() => new ClipCapDecoder(model, { stopToken: 40 })).toThrow(ClipCapConfigError);
    });
    model.dispose();
  });
});

describe('ClipCap generation', () => {
  for (const mappingType of ['mlp', 'transformer'] as const) {
    it(`${mappingType}: the KV cache gives the ids and log-probs of full re-runs; a batch gives each image's own result`, () => {
      const model = new ClipCapModel({ ...TINY, mappingType }, { rng: new Random(5) }).eval();
      const clip = clipBatch(3, 3);
      const cached = new ClipCapDecoder(model, { stopToken: 7 });
      const uncached = new ClipCapDecoder(model, { stopToken: 7, useCache: false });
      const a = greedyDecode(cached, clip, { maxLength: 12 });
      const b = greedyDecode(uncached, clip, { maxLength: 12 });
      expect(a.tokens).toEqual(b.tokens);
      for (let i = 0; i < a.logprobs.length; i++) expect(Math.abs(a.logprobs[i]! - b.logprobs[i]!)).toBeLessThan(1e-5);
      const beams = generateBeam(cached, clip, { maxLength: 12, beamSize: 3 });
      expect(generateBeam(uncached, clip, { maxLength: 12, beamSize: 3 }).map((i) => i.map((c) => c.tokens))).toEqual(
        beams.map((i) => i.map((c) => c.tokens)),
      );
      for (let row = 0; row < 3; row++) {
        const one = tf.slice(clip, [row, 0], [1, 12]) as tf.Tensor2D;
        expect(generateGreedy(cached, one, { maxLength: 12 })[0]).toEqual(
          generateGreedy(cached, clip, { maxLength: 12 })[row],
        );
        expect(generateBeam(cached, one, { maxLength: 12, beamSize: 3 })[0]).toEqual(beams[row]);
        one.dispose();
      }
      for (const captions of beams) {
        expect(captions).toHaveLength(3);
        for (let i = 1; i < 3; i++) expect(captions[i - 1]!.score).toBeGreaterThanOrEqual(captions[i]!.score);
      }
      clip.dispose();
      model.dispose();
    });
  }

  it('a prefix of length 1 decodes with an empty cache; top-p sampling is reproducible from its seed', () => {
    const model = new ClipCapModel({ ...TINY, prefixLength: 1 }, { rng: new Random(6) }).eval();
    const clip = clipBatch(2, 4);
    const cached = new ClipCapDecoder(model);
    expect(generateGreedy(cached, clip, { maxLength: 6 })).toEqual(
      generateGreedy(new ClipCapDecoder(model, { useCache: false }), clip, { maxLength: 6 }),
    );
    const first = generateTopP(cached, clip, { maxLength: 6, topP: 0.9, rng: new Random(9) });
    expect(generateTopP(cached, clip, { maxLength: 6, topP: 0.9, rng: new Random(9) })).toEqual(first);
    expect(first.map((c) => c.length)).toEqual([6, 6]);
    clip.dispose();
    model.dispose();
  });

  it("an ensemble averages the members' next-token probabilities (core EnsembleCaptionModel) and decodes with every method", () => {
    const a = new ClipCapModel(TINY, { rng: new Random(7) }).eval();
    const b = new ClipCapModel({ ...TINY, mappingType: 'transformer' }, { rng: new Random(8) }).eval();
    const clip = clipBatch(2, 5);
    const ensemble = new EnsembleCaptionModel([
      new ClipCapDecoder(a, { stopToken: 3 }),
      new ClipCapDecoder(b, { stopToken: 3 }),
    ]);
    const first = (m: CaptionModel<tf.Tensor2D>) =>
      tf.tidy(() => m.step(m.prepare(clip), tf.tensor1d([-1, -1], 'int32')).logprobs.arraySync());
    const pa = first(new ClipCapDecoder(a));
    const pb = first(new ClipCapDecoder(b));
    const mixed = first(ensemble);
    for (let r = 0; r < 2; r++) {
      for (let v = 0; v < 40; v++) {
        expect(mixed[r]![v]!).toBeCloseTo(Math.log((Math.exp(pa[r]![v]!) + Math.exp(pb[r]![v]!)) / 2), 5);
      }
    }
    const greedy = generateGreedy(ensemble, clip, { maxLength: 8 });
    expect(greedy).toHaveLength(2);
    expect(generateBeam(ensemble, clip, { maxLength: 8, beamSize: 2 })).toHaveLength(2);
    expect(
      generateGreedy(new EnsembleCaptionModel([new ClipCapDecoder(a, { stopToken: 3 })]), clip, { maxLength: 8 }),
    ).toEqual(generateGreedy(new ClipCapDecoder(a, { stopToken: 3 }), clip, { maxLength: 8 }));
    clip.dispose();
    a.dispose();
    b.dispose();
  });
});
