/**
 * Retrieval recall of a CLIP model on a split, as CLIP and the COCO retrieval benchmarks report it: image → text
 * R@K (an image is a hit when one of its captions is among the K captions most similar to it, out of all the split's
 * captions) and text → image R@K (a caption is a hit when its image is among the K most similar images), with the
 * recall a random ranking would get (chance).
 *
 * Similarity is the cosine of the CLIP embeddings. Ranks count the candidates scoring strictly higher than the best
 * correct one, so a caption whose text equals one of the image's own captions (the shapes captions repeat, e.g.
 * "Four shapes in four different colors.") ties with it and does not push it down.
 */
import * as tf from '@tensorflow/tfjs-core';
import { l2Normalize } from '@caption/models-clipcap';
import type { RecallScores } from './run-files';

/** The K of recall@K reported. */
export const RECALL_KS = [1, 5] as const;

/** Recall and chance in both directions. */
export interface RetrievalResult {
  recall: RecallScores;
  chance: RecallScores;
  images: number;
  captions: number;
}

/** `C(n − c, k) / C(n, k)`: the chance that k random picks out of n miss c given items. */
function missProbability(n: number, c: number, k: number): number {
  let p = 1;
  for (let j = 0; j < k; j++) p *= (n - c - j) / (n - j);
  return Math.max(0, p);
}

/**
 * Recall@1/5 of image and text embeddings.
 *
 * @param imageEmbeddings `[N, D]` (not necessarily normalised)
 * @param textEmbeddings `[M, D]`
 * @param captionImage the image index (row of `imageEmbeddings`) of each caption
 */
export function retrievalRecall(
  imageEmbeddings: tf.Tensor2D,
  textEmbeddings: tf.Tensor2D,
  captionImage: Int32Array,
): RetrievalResult {
  const [n] = imageEmbeddings.shape;
  const [m] = textEmbeddings.shape;
  if (captionImage.length !== m)
    throw new RangeError(`retrievalRecall: ${captionImage.length} caption images for ${m} captions`);
  const sim = tf.tidy(() => tf.matMul(l2Normalize(imageEmbeddings), l2Normalize(textEmbeddings), false, true));
  const s = sim.dataSync() as Float32Array;
  sim.dispose();
  const captionsOf: number[][] = Array.from({ length: n }, () => []);
  captionImage.forEach((img, t) => captionsOf[img]?.push(t));

  const hits = { i2t: [0, 0], t2i: [0, 0] };
  for (let i = 0; i < n; i++) {
    const row = s.subarray(i * m, (i + 1) * m);
    const own = captionsOf[i] as number[];
    const best = Math.max(...own.map((t) => row[t] as number));
    let higher = 0;
    for (let t = 0; t < m; t++) if ((row[t] as number) > best) higher += 1;
    RECALL_KS.forEach((k, j) => (hits.i2t[j]! += higher < k ? 1 : 0));
  }
  for (let t = 0; t < m; t++) {
    const img = captionImage[t] as number;
    const own = s[img * m + t] as number;
    let higher = 0;
    for (let i = 0; i < n; i++) if ((s[i * m + t] as number) > own) higher += 1;
    RECALL_KS.forEach((k, j) => (hits.t2i[j]! += higher < k ? 1 : 0));
  }
  const i2tChance = RECALL_KS.map(
    (k) => captionsOf.reduce((sum, own) => sum + 1 - missProbability(m, own.length, k), 0) / n,
  );
  return {
    recall: {
      imageToText: { 'R@1': hits.i2t[0]! / n, 'R@5': hits.i2t[1]! / n },
      textToImage: { 'R@1': hits.t2i[0]! / m, 'R@5': hits.t2i[1]! / m },
    },
    chance: {
      imageToText: { 'R@1': i2tChance[0]!, 'R@5': i2tChance[1]! },
      textToImage: { 'R@1': Math.min(1, 1 / n), 'R@5': Math.min(1, 5 / n) },
    },
    images: n,
    captions: m,
  };
}

/** The mean of the two directions' R@K (the single numbers of the demo's table). */
export function meanRecall(r: RecallScores): { 'R@1': number; 'R@5': number } {
  return {
    'R@1': (r.imageToText['R@1'] + r.textToImage['R@1']) / 2,
    'R@5': (r.imageToText['R@5'] + r.textToImage['R@5']) / 2,
  };
}
