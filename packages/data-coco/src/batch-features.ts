/**
 * The loader's per-image feature post-processing and batch assembly, as ImageCaptioning.pytorch's
 * `DataLoader` does them: region features reshaped to [K, D], L2-normalised (`norm_att_feat`), box features
 * appended with regions sorted by area (`use_box`, `norm_box_feat`), fc as the mean of the regions when there
 * is no fc store; then fc stacked, regions zero-padded with a mask, caption rows and their masks laid out.
 * `CaptionLoader` (`loader.ts`) decides which images and rows make a batch; this file what the batch holds.
 */
import { DataFormatError } from './errors.js';
import type { CaptionLabels } from './labels.js';
import type { CaptionBatch, CaptionLoaderOptions, PlannedImage } from './loader.js';
import type { ShapedArray } from './npy.js';

/** The options that shape an image's features. */
export type FeatureOptions = Pick<
  CaptionLoaderOptions,
  'cocotalk' | 'fc' | 'att' | 'box' | 'useBox' | 'normAttFeat' | 'normBoxFeat'
>;

/** One image's features after post-processing. */
export interface ImageFeatures {
  /** [D] fc feature, or null without fc and att stores. */
  fc: Float32Array | null;
  /** [K, D (+5 with useBox)] region features, or null without an att store. */
  att: ShapedArray<Float32Array> | null;
}

/** Reads and post-processes the features of image `ix` of `cocotalk.images`. */
export async function readImageFeatures(options: FeatureOptions, ix: number): Promise<ImageFeatures> {
  const { fc: fcStore, att: attStore, box: boxStore } = options;
  const image = options.cocotalk.images[ix];
  if (image === undefined) throw new DataFormatError(`no image at index ${ix}`, { field: 'images' });
  let att: ShapedArray<Float32Array> | null = null;
  if (attStore !== undefined) {
    const raw = await attStore.get(image.id);
    const dim = raw.shape[raw.shape.length - 1] ?? 0;
    att = { data: raw.data, shape: [raw.data.length / Math.max(dim, 1), dim] };
    if (options.normAttFeat === true) att = { data: l2NormaliseRows(att.data, dim), shape: att.shape };
    if (options.useBox === true) {
      if (boxStore === undefined)
        throw new DataFormatError('useBox needs a box store', { imageId: image.id, field: 'box' });
      if (image.width === undefined || image.height === undefined) {
        throw new DataFormatError(
          'useBox needs the image width and height in cocotalk.json (prepro with images_root)',
          {
            imageId: image.id,
            field: 'width',
          },
        );
      }
      const box = await boxStore.get(image.id);
      att = appendBoxFeatures(att, box, image.width, image.height, options.normBoxFeat === true, image.id);
    }
  }
  let fc: Float32Array | null = null;
  if (fcStore !== undefined) fc = (await fcStore.get(image.id)).data;
  else if (att !== null) fc = meanRows(att);
  return { fc, att };
}

/**
 * The batch's fc features stacked [B, D] and region features zero-padded to the largest K [B, K, D] with
 * their mask (null when every image has K regions). `shapeError(i, field, problem)` names image i's file.
 */
export function stackFeatures(
  feats: readonly ImageFeatures[],
  shapeError: (i: number, field: string, problem: string) => DataFormatError,
): Pick<CaptionBatch, 'fcFeats' | 'attFeats' | 'attMasks'> {
  const b = feats.length;
  const first = feats[0];
  let fcFeats: ShapedArray<Float32Array> | null = null;
  if (first?.fc != null) {
    const d = first.fc.length;
    const data = new Float32Array(b * d);
    feats.forEach((f, i) => {
      if (f.fc?.length !== d)
        throw shapeError(i, 'fc', `${f.fc?.length ?? 0} values, expected ${d} as the batch's first image`);
      data.set(f.fc, i * d);
    });
    fcFeats = { data, shape: [b, d] };
  }
  let attFeats: ShapedArray<Float32Array> | null = null;
  let attMasks: ShapedArray<Float32Array> | null = null;
  if (first?.att != null) {
    const d = first.att.shape[1] as number;
    const k = Math.max(...feats.map((f) => (f.att?.shape[0] as number) ?? 0));
    const data = new Float32Array(b * k * d);
    const mask = new Float32Array(b * k);
    let uniform = true;
    feats.forEach((f, i) => {
      const a = f.att as ShapedArray<Float32Array>;
      if (a.shape[1] !== d)
        throw shapeError(i, 'att', `feature size ${a.shape[1]}, expected ${d} as the batch's first image`);
      const ki = a.shape[0] as number;
      if (ki !== k) uniform = false;
      data.set(a.data, i * k * d);
      mask.fill(1, i * k, i * k + ki);
    });
    attFeats = { data, shape: [b, k, d] };
    attMasks = uniform ? null : { data: mask, shape: [b, k] };
  }
  return { fcFeats, attFeats, attMasks };
}

/**
 * The caption rows of the batch [B, seqPerImg, L + 2] (a 0 column first and last), their masks (BOS, the
 * words, the first EOS) and every caption row of each image (`gts`); nulls and no rows without labels.
 */
export function labelRows(
  labels: CaptionLabels | undefined,
  images: readonly PlannedImage[],
  seqPerImg: number,
): Pick<CaptionBatch, 'labels' | 'masks' | 'gts'> {
  const b = images.length;
  let labelBatch: ShapedArray<Int32Array> | null = null;
  let masks: ShapedArray<Float32Array> | null = null;
  const gts: Array<ShapedArray<Int32Array>> = [];
  if (labels !== undefined) {
    const l = labels.seqLength;
    const width = l + 2;
    const lab = new Int32Array(b * seqPerImg * width);
    const msk = new Float32Array(b * seqPerImg * width);
    images.forEach((p, i) => {
      p.rows.forEach((row, q) => {
        const out = (i * seqPerImg + q) * width;
        let nonzero = 0;
        for (let t = 0; t < l; t += 1) {
          const v = labels.labels[row * l + t] as number;
          lab[out + 1 + t] = v;
          if (v !== 0) nonzero += 1;
        }
        msk.fill(1, out, out + Math.min(width, nonzero + 2));
      });
      const start = (labels.labelStartIx[p.ix] as number) - 1;
      const end = labels.labelEndIx[p.ix] as number;
      gts.push({ data: Int32Array.from(labels.labels.subarray(start * l, end * l)), shape: [end - start, l] });
    });
    labelBatch = { data: lab, shape: [b, seqPerImg, width] };
    masks = { data: msk, shape: [b, seqPerImg, width] };
  }
  return { labels: labelBatch, masks, gts };
}

function l2NormaliseRows(data: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r * dim < data.length; r += 1) {
    let sum = 0;
    for (let c = 0; c < dim; c += 1) sum += (data[r * dim + c] as number) ** 2;
    const norm = Math.sqrt(sum);
    for (let c = 0; c < dim; c += 1) out[r * dim + c] = (data[r * dim + c] as number) / norm;
  }
  return out;
}

function meanRows(att: ShapedArray<Float32Array>): Float32Array {
  const [k, d] = att.shape as [number, number];
  const out = new Float32Array(d);
  for (let r = 0; r < k; r += 1)
    for (let c = 0; c < d; c += 1) out[c] = (out[c] as number) + (att.data[r * d + c] as number);
  for (let c = 0; c < d; c += 1) out[c] = (out[c] as number) / k;
  return out;
}

/**
 * The reference's box features: x1/w, y1/h, x2/w, y2/h, area/(w·h) appended, regions sorted by area, largest first
 * (stable).
 */
function appendBoxFeatures(
  att: ShapedArray<Float32Array>,
  box: ShapedArray<Float32Array>,
  width: number,
  height: number,
  normalise: boolean,
  imageId: number,
): ShapedArray<Float32Array> {
  const [k, d] = att.shape as [number, number];
  if (box.data.length !== k * 4) {
    throw new DataFormatError(`boxes have shape [${box.shape.join(', ')}], expected [${k}, 4] (one per region)`, {
      imageId,
      field: 'box',
    });
  }
  const rows: Array<{ feats: Float32Array; key: number }> = [];
  for (let r = 0; r < k; r += 1) {
    const [x1, y1, x2, y2] = box.data.subarray(r * 4, r * 4 + 4) as unknown as [number, number, number, number];
    const extra = [x1 / width, y1 / height, x2 / width, y2 / height, ((x2 - x1) * (y2 - y1)) / (width * height)];
    if (normalise) {
      const norm = Math.sqrt(extra.reduce((s, v) => s + v * v, 0));
      for (let i = 0; i < 5; i += 1) extra[i] = (extra[i] as number) / norm;
    }
    const feats = new Float32Array(d + 5);
    feats.set(att.data.subarray(r * d, (r + 1) * d));
    feats.set(extra, d);
    rows.push({ feats, key: feats[d + 4] as number });
  }
  rows.sort((a, b) => b.key - a.key); // Array.prototype.sort is stable, as Python's sorted(reverse=True)
  const out = new Float32Array(k * (d + 5));
  rows.forEach((row, r) => out.set(row.feats, r * (d + 5)));
  return { data: out, shape: [k, d + 5] };
}
