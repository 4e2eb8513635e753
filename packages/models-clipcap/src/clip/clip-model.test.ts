import * as tf from '@tensorflow/tfjs-core';
import { AdamW, computeGradients, moduleFromJSON, parseSafetensors, Random, serializeSafetensors } from '@caption/core';
import { describe, expect, it } from 'vitest';
import '../index';
import {
  CLIP_VIT_B_32,
  ClipModel,
  clipContrastiveLoss,
  type ClipModelConfig,
  type ClipResNetConfig,
  type ClipTextTransformerConfig,
  type ClipVitConfig,
} from './clip-model';
import { WeightsFileError } from '../weights';
import { ClipConfigError, ClipInputError } from './errors';
import { loadClipWeights } from './weights';

const TINY_VIT: ClipVitConfig = { type: 'vit', inputResolution: 16, patchSize: 8, width: 16, layers: 1, heads: 2 };
const TINY_RN: ClipResNetConfig = { type: 'resnet', inputResolution: 32, layers: [1, 1, 1, 1], width: 8, heads: 2 };
const TINY_TEXT: ClipTextTransformerConfig = {
  type: 'clip',
  contextLength: 8,
  vocabSize: 20,
  width: 16,
  heads: 2,
  layers: 1,
};
const TINY: ClipModelConfig = { embedDim: 16, vision: TINY_VIT, text: TINY_TEXT };

function randomImages(n: number, side: number, seed: number): tf.Tensor4D {
  return tf.randomNormal([n, 3, side, side], 0, 1, 'float32', seed) as tf.Tensor4D;
}

describe('ClipModel', () => {
  it('ViT-B/32 built from its config has exactly 151,277,313 parameters (openai/CLIP ViT-B/32)', () => {
    const model = new ClipModel(CLIP_VIT_B_32, { rng: new Random(0) });
    expect(model.parameterCount()).toBe(151_277_313);
    expect(model.trainableParameterCount()).toBe(151_277_313);
    const shapes = new Map(model.namedParameters().map(([n, v]) => [n, [...v.shape]]));
    expect(shapes.get('visual.conv1.weight')).toEqual([768, 3, 32, 32]);
    expect(shapes.get('visual.positional_embedding')).toEqual([50, 768]);
    expect(shapes.get('visual.transformer.resblocks.11.attn.in_proj_weight')).toEqual([2304, 768]);
    expect(shapes.get('transformer.resblocks.11.mlp.c_proj.weight')).toEqual([512, 2048]);
    expect(shapes.get('token_embedding.weight')).toEqual([49408, 512]);
    expect(shapes.get('text_projection')).toEqual([512, 512]);
    expect(shapes.get('logit_scale')).toEqual([]);
    model.dispose();
  });

  it('round-trips through JSON (same names and shapes) and starts at logit_scale ln(1/0.07)', () => {
    const model = new ClipModel({ ...TINY, projection: { type: 'mlp', hiddenDim: 12 } });
    const copy = moduleFromJSON(JSON.parse(JSON.stringify(model.toJSON()))) as ClipModel;
    expect(copy).toBeInstanceOf(ClipModel);
    const shapes = (m: ClipModel) => m.namedParameters().map(([n, v]) => [n, [...v.shape]]);
    expect(shapes(copy)).toEqual(shapes(model));
    expect(shapes(model).map(([n]) => n)).toContain('text_projection.2.weight');
    expect(shapes(model).map(([n]) => n)).toContain('image_projection.0.weight');
    expect(model.logitScale.dataSync()[0]).toBeCloseTo(Math.log(1 / 0.07), 6);
    model.dispose();
    copy.dispose();
  });

  it('a Res2NeXt image tower: its fc is the linear projection, or an MLP head maps its pooled features', () => {
    const vision = {
      type: 'res2next',
      inputResolution: 32,
      layers: [1, 1, 1, 1],
      baseWidth: 16,
      cardinality: 2,
      scale: 4,
      width: 8,
    } as const;
    const linear = new ClipModel({ ...TINY, vision: { ...vision, layers: [1, 1, 1, 1] } });
    const mlp = new ClipModel({
      ...TINY,
      vision: { ...vision, layers: [1, 1, 1, 1] },
      projection: { type: 'mlp', hiddenDim: 32 },
    });
    const shapes = (m: ClipModel) => new Map(m.namedParameters().map(([n, v]) => [n, [...v.shape]]));
    expect(shapes(linear).get('visual.fc.weight')).toEqual([16, 256]);
    expect(shapes(mlp).has('visual.fc.weight')).toBe(false);
    expect(shapes(mlp).get('image_projection.0.weight')).toEqual([32, 256]);
    const images = randomImages(2, 32, 9);
    for (const m of [linear, mlp]) {
      const features = m.eval().encodeImage(images);
      expect(features.shape).toEqual([2, 16]);
      features.dispose();
      m.dispose();
    }
    images.dispose();
  });

  it('clamps logit_scale to [0, ln 100] after a step', () => {
    const model = new ClipModel(TINY);
    model.logitScale.assign(tf.scalar(7));
    model.clampLogitScale();
    expect(model.logitScale.dataSync()[0]).toBeCloseTo(Math.log(100), 6);
    model.logitScale.assign(tf.scalar(-1));
    model.clampLogitScale();
    expect(model.logitScale.dataSync()[0]).toBe(0);
    model.dispose();
  });

  it('reads the text feature at the end-of-text token: padding after it and a shorter context change nothing', () => {
    const model = new ClipModel(TINY, { rng: new Random(3) });
    model.eval();
    const full = tf.tensor2d(
      [
        [18, 4, 7, 19, 0, 0, 0, 0],
        [18, 5, 19, 0, 0, 0, 0, 0],
      ],
      undefined,
      'int32',
    );
    const otherPad = tf.tensor2d(
      [
        [18, 4, 7, 19, 3, 3, 3, 3],
        [18, 5, 19, 9, 9, 9, 9, 9],
      ],
      undefined,
      'int32',
    );
    const short = tf.tensor2d(
      [
        [18, 4, 7, 19],
        [18, 5, 19, 0],
      ],
      undefined,
      'int32',
    );
    const a = model.encodeText(full).arraySync();
    const b = model.encodeText(otherPad).arraySync();
    const c = model.encodeText(short).arraySync();
    expect(b).toEqual(a);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 16; j++) expect(c[i]![j]!).toBeCloseTo(a[i]![j]!, 5);
    tf.dispose([full, otherPad, short]);
    model.dispose();
  });

  it('trains: AdamW steps (decoupled weight decay 0.01) lower the contrastive loss of a fixed batch (ViT and ResNet)', () => {
    for (const vision of [TINY_VIT, TINY_RN]) {
      const model = new ClipModel({ ...TINY, vision }, { rng: new Random(1) });
      const images = randomImages(4, vision.inputResolution, 5);
      const ids = tf.tensor2d(
        [
          [18, 1, 2, 19],
          [18, 3, 4, 19],
          [18, 5, 6, 19],
          [18, 7, 19, 0],
        ],
        undefined,
        'int32',
      );
      const optimizer = new AdamW(model, { learningRate: 3e-3, weightDecay: 0.01 });
      const losses: number[] = [];
      for (let step = 0; step < 8; step++) {
        const { loss, grads } = computeGradients(model, () => model.loss(images, ids));
        losses.push(loss.dataSync()[0] as number);
        expect(grads.has('visual.conv1.weight')).toBe(true);
        expect([...grads.keys()].some((n) => n.endsWith('running_mean'))).toBe(false);
        optimizer.step(grads);
        model.clampLogitScale();
        tf.dispose([loss, ...grads.values()]);
      }
      expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! - 0.1);
      tf.dispose([images, ids]);
      model.dispose();
    }
  });

  it('the contrastive loss is symmetric cross-entropy: log N at equal logits', () => {
    const loss = clipContrastiveLoss(tf.zeros([5, 5]) as tf.Tensor2D);
    expect(loss.dataSync()[0]).toBeCloseTo(Math.log(5), 6);
    expect(() => clipContrastiveLoss(tf.zeros([2, 3]) as tf.Tensor2D)).toThrow(ClipInputError);
  });

  it('weights that do not fit the config are a WeightsFileError naming the file and listing the weights', () => {
    const model = new ClipModel(TINY);
    const other = new ClipModel({
      ...TINY,
      text: { ...TINY_TEXT, width: 8, heads: 2 },
      vision: { ...TINY_VIT, layers: 2 },
    });
    const tensors = new Map(
      [...other.stateDict()]
        .filter(([n]) => n !== 'logit_scale')
        .map(([n, v]) => [n, { data: v.dataSync() as Float32Array, shape: v.shape }]),
    );
    tensors.set('extra.weight', { data: new Float32Array(1), shape: [1] });
    tensors.set('context_length', { data: new Float32Array(1), shape: [] }); // OpenAI's non-weight keys are skipped
    const file = parseSafetensors(serializeSafetensors(tensors), 'model.safetensors');
    let error: unknown;
    try {
      loadClipWeights(model, file, { source: 'model.safetensors' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WeightsFileError);
    const e = error as WeightsFileError;
    expect(e.file).toBe('model.safetensors');
    expect(e.message).toMatch(/^model\.safetensors: /);
    expect(e.unexpected).not.toContain('context_length');
    expect(e.missing).toEqual(['logit_scale']);
    expect(e.unexpected).toEqual(
      expect.arrayContaining(['extra.weight', 'visual.transformer.resblocks.1.ln_1.weight']),
    );
    expect(e.mismatched.map((m) => m.name)).toContain('positional_embedding');
    expect(e.mismatched.find((m) => m.name === 'token_embedding.weight')).toEqual({
      name: 'token_embedding.weight',
      expected: [20, 16],
      actual: [20, 8],
    });
    model.dispose();
    other.dispose();
  });

  it('bad options and inputs are typed errors naming them', () => {
    expect(() => new ClipModel({ ...TINY, embedDim: 0 })).toThrow(ClipConfigError);
    expect(() => new ClipModel({ ...TINY, vision: { ...TINY_VIT, patchSize: 5 } })).toThrow(/vision\.patchSize/);
    expect(() => new ClipModel({ ...TINY, text: { ...TINY_TEXT, heads: 3 } })).toThrow(/heads/);
    expect(() => new ClipModel({ ...TINY, vision: { ...TINY_RN, inputResolution: 48 } })).toThrow(/multiple of 32/);
    const model = new ClipModel(TINY);
    const tooLong = tf.zeros([1, 9], 'int32') as tf.Tensor2D;
    expect(() => model.encodeText(tooLong)).toThrow(/more than the context length 8/);
    const outOfVocab = tf.tensor2d([[18, 25]], undefined, 'int32');
    expect(() => model.encodeText(outOfVocab)).toThrow(ClipInputError);
    const wrongImages = tf.zeros([1, 3, 8, 8]) as tf.Tensor4D;
    expect(() => model.encodeImage(wrongImages)).toThrow(/must be \[B, 3, 16, 16\]/);
    tf.dispose([tooLong, outOfVocab, wrongImages]);
    model.dispose();
  });
});
