import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@caption/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { meanRecall, retrievalRecall } from './retrieval';

beforeAll(async () => {
  await initBackend('wasm', { quiet: true });
});

/** Unit vectors along axis `i` of `d` dimensions, scaled (scale must not matter: cosine similarity). */
const axis = (i: number, d: number, scale = 1): number[] => Array.from({ length: d }, (_, k) => (k === i ? scale : 0));

describe('retrievalRecall', () => {
  it('is 1 in both directions when every caption points at its own image', () => {
    const images = tf.tensor2d([axis(0, 3), axis(1, 3, 5), axis(2, 3)]);
    // two captions per image, in image order
    const texts = tf.tensor2d([axis(0, 3, 2), axis(0, 3), axis(1, 3), axis(1, 3, 0.1), axis(2, 3), axis(2, 3)]);
    const r = retrievalRecall(images, texts, Int32Array.from([0, 0, 1, 1, 2, 2]));
    expect(r.recall).toEqual({ imageToText: { 'R@1': 1, 'R@5': 1 }, textToImage: { 'R@1': 1, 'R@5': 1 } });
    expect(r.images).toBe(3);
    expect(r.captions).toBe(6);
    tf.dispose([images, texts]);
  });

  it('counts ranks: a caption nearer to another image misses R@1 but can hit R@5', () => {
    const images = tf.tensor2d([
      [1, 0],
      [0.8, 0.6],
      [0, 1],
    ]);
    // caption 0 belongs to image 2 but is most similar to image 0, then image 1, then image 2
    const texts = tf.tensor2d([
      [1, 0.05],
      [0, 1],
      [0.8, 0.6],
    ]);
    const r = retrievalRecall(images, texts, Int32Array.from([2, 2, 1]));
    // text → image: caption 0 ranks its image third (miss at 1, hit at 5); captions 1 and 2 rank theirs first
    expect(r.recall.textToImage['R@1']).toBeCloseTo(2 / 3, 12);
    expect(r.recall.textToImage['R@5']).toBe(1);
    // image → text: image 0 has no caption (it counts as a miss: max over no captions is -Infinity → every text
    // is higher), image 1's best is caption 2 (rank 0), image 2's best is caption 1 (rank 0)
    expect(r.recall.imageToText['R@1']).toBeCloseTo(2 / 3, 12);
    tf.dispose([images, texts]);
  });

  it('gives the chance of a random ranking: 1 − C(M−c, K)/C(M, K) image→text, K/N text→image', () => {
    const n = 4;
    const images = tf.tensor2d(Array.from({ length: n }, (_, i) => axis(i, n)));
    const texts = tf.tensor2d(Array.from({ length: 2 * n }, (_, t) => axis(Math.floor(t / 2), n)));
    const r = retrievalRecall(
      images,
      texts,
      Int32Array.from({ length: 2 * n }, (_, t) => Math.floor(t / 2)),
    );
    // M = 8 captions, 2 per image: R@1 = 2/8; R@5 = 1 − C(6,5)/C(8,5) = 1 − 6/56
    expect(r.chance.imageToText['R@1']).toBeCloseTo(2 / 8, 12);
    expect(r.chance.imageToText['R@5']).toBeCloseTo(1 - 6 / 56, 12);
    expect(r.chance.textToImage['R@1']).toBeCloseTo(1 / 4, 12);
    expect(r.chance.textToImage['R@5']).toBe(1);
    expect(meanRecall(r.chance)['R@1']).toBeCloseTo((2 / 8 + 1 / 4) / 2, 12);
    tf.dispose([images, texts]);
  });

  it("lets a caption identical to one of the image's own tie with it (no rank lost)", () => {
    const images = tf.tensor2d([axis(0, 2), axis(1, 2)]);
    // caption 1 (image 1's) has exactly the embedding of caption 0 (image 0's)
    const texts = tf.tensor2d([axis(0, 2), axis(0, 2), axis(1, 2)]);
    const r = retrievalRecall(images, texts, Int32Array.from([0, 1, 1]));
    expect(r.recall.imageToText['R@1']).toBe(1);
    // text → image for caption 1: image 0 is strictly more similar than image 1: a miss at 1
    expect(r.recall.textToImage['R@1']).toBeCloseTo(2 / 3, 12);
    tf.dispose([images, texts]);
  });
});
