/**
 * CLIP with a GPT-2 text tower (the seed system's): the text feature is GPT-2's hidden state after `ln_f` at the
 * end-of-text position. Checked against the reference GPT-2 (`gpt2-tiny.*` of the clipcap-reference folder: the
 * stored `hidden.3_after_ln_f` rows at each row's end-of-text position), and for weight sharing with a captioner's
 * `GPT2LMHeadModel`.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { AdamW, computeGradients, moduleFromJSON, Random } from '@caption/core';
import { expect, it } from 'vitest';
import '../index';
import { compareClose, describeWithReference, FORWARD_TOLERANCE } from '../clipcap-reference.test-util';
import { gpt2ConfigFromHuggingFace } from '../gpt2/config';
import { GPT2LMHeadModel, type GPT2Model } from '../gpt2/gpt2';
import { loadGPT2Weights } from '../gpt2/weights';
import { readSafetensorsFile } from '../weights';
import { ClipModel, type ClipModelConfig } from './clip-model';
import { ClipInputError } from './errors';
import { entryFloats, entryTensor } from './fixture-tensors.test-util';

const IO = 'gpt2-tiny-io.safetensors';

describeWithReference(
  'CLIP with a GPT-2 text tower (gpt2-tiny)',
  ['gpt2-tiny.json', 'gpt2-tiny.safetensors', IO],
  (ref) => {
    const meta = ref.json<{ config: Record<string, unknown>; weights_file: string }>('gpt2-tiny.json');
    const gpt2 = gpt2ConfigFromHuggingFace(meta.config, 'gpt2-tiny.json');
    const config = (eot: 'argmax' | { tokenId: number }): ClipModelConfig => ({
      embedDim: 8,
      vision: { type: 'vit', inputResolution: 16, patchSize: 8, width: 16, layers: 1, heads: 2 },
      text: { type: 'gpt2', gpt2, eot },
    });
    const build = (eot: 'argmax' | { tokenId: number }) => {
      const clip = new ClipModel(config(eot), { rng: new Random(0) }).eval();
      loadGPT2Weights(clip.transformer as GPT2Model, readSafetensorsFile(join(ref.dir, meta.weights_file)));
      return clip;
    };

    it('the text feature is the reference hidden state after ln_f at the end-of-text position (argmax and tokenId rules)', () => {
      const ids = entryTensor(ref.tensor(IO, 'input_ids')) as tf.Tensor2D;
      const hidden = entryFloats(ref.tensor(IO, 'hidden.3_after_ln_f'));
      const [b, t] = ids.shape;
      const width = gpt2.nEmbd;
      const values = ids.arraySync();
      const expectedAt = (positions: number[]) =>
        Float32Array.from({ length: b * width }, (_, k) => {
          const row = Math.floor(k / width);
          return hidden[(row * t + (positions[row] as number)) * width + (k % width)] as number;
        });
      const argmax = values.map((row) => row.indexOf(Math.max(...row)));
      const clip = build('argmax');
      const features = clip.encode(ids);
      const c = compareClose('argmax rows', features.dataSync(), expectedAt(argmax), FORWARD_TOLERANCE);
      expect(c.ok, c.detail).toBe(true);
      // a token id present in both rows: the feature is read at its first occurrence
      const token = values[0]!.find((v) => values[1]!.includes(v))!;
      const tokenClip = build({ tokenId: token });
      const first = values.map((row) => row.indexOf(token));
      const d = compareClose('tokenId rows', tokenClip.encode(ids).dataSync(), expectedAt(first), FORWARD_TOLERANCE);
      expect(d.ok, d.detail).toBe(true);
      const without = tf.tensor2d([[(token + 1) % 100, (token + 2) % 100]], [1, 2], 'int32');
      expect(() => tokenClip.encode(without)).toThrow(ClipInputError);
      expect(() => tokenClip.encode(without)).toThrow(`row 0 has no end-of-text token ${token}`);
      tf.dispose([ids, features, without]);
      clip.dispose();
      tokenClip.dispose();
    });

    it('names are Hugging Face GPT-2 body names under transformer.; a captioner GPT-2 shares them and learns with CLIP', () => {
      const clip = build('argmax').train();
      const names = clip.namedParameters().map(([n]) => n);
      expect(names).toContain('transformer.wte.weight');
      expect(names).toContain('transformer.h.1.attn.c_attn.weight');
      expect(names).toContain('text_projection');
      expect(names.some((n) => n.startsWith('token_embedding') || n.startsWith('ln_final'))).toBe(false);
      const captioner = new GPT2LMHeadModel(gpt2, { transformer: clip.transformer as GPT2Model }).eval();
      expect(captioner.transformer.wte.weight).toBe((clip.transformer as GPT2Model).wte.weight);
      const prompt = tf.tensor2d([[5, 6, 7]], [1, 3], 'int32');
      const before = captioner.forward({ inputIds: prompt }).logits.dataSync().slice();
      const images = tf.randomNormal([2, 3, 16, 16], 0, 1, 'float32', 1) as tf.Tensor4D;
      const text = tf.tensor2d(
        [
          [3, 4, 99, 0],
          [8, 99, 0, 0],
        ],
        [2, 4],
        'int32',
      );
      const optimizer = new AdamW(clip, { learningRate: 1e-3, weightDecay: 0.01 });
      const { loss, grads } = computeGradients(clip, () => clip.loss(images, text));
      expect(Number.isFinite(loss.dataSync()[0])).toBe(true);
      expect(grads.has('transformer.h.0.attn.c_attn.weight')).toBe(true);
      optimizer.step(grads);
      const after = captioner.forward({ inputIds: prompt }).logits.dataSync();
      expect(after).not.toEqual(before);
      const copy = moduleFromJSON(JSON.parse(JSON.stringify(clip.toJSON()))) as ClipModel;
      expect(copy.namedParameters().map(([n, v]) => [n, v.shape])).toEqual(
        clip.namedParameters().map(([n, v]) => [n, v.shape]),
      );
      tf.dispose([prompt, images, text, loss, ...grads.values()]);
      copy.dispose();
      clip.dispose();
    });
  },
);
