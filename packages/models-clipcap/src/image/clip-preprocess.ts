/**
 * CLIP's image preprocessing (`clip/clip.py` `_transform`) on decoded 8-bit RGB pixels:
 * `Resize(n, BICUBIC)` (short side to n, long side truncated, as torchvision does on a PIL image),
 * `CenterCrop(n)`, `ToTensor()` (÷ 255), `Normalize(CLIP_MEAN, CLIP_STD)`.
 *
 * The resize is Pillow's own algorithm (`libImaging/Resample.c`: separable bicubic convolution with a = −0.5,
 * support scaled by the reduction factor, coefficients normalised and rounded to 22-bit fixed point,
 * horizontal pass first, each pass rounded and clipped to 8 bits), so the pixels equal what CLIP's
 * `preprocess` feeds the model (checked on a real COCO image against Pillow 9.4, `src/image/clip-preprocess.test.ts`).
 *
 * Decoding is not done here (this package depends on `@caption/core` only): decode with a maintained image
 * library (e.g. `@caption/data-coco`'s `decodeImage`, sharp with `ignoreIcc: true`, byte-identical to
 * Pillow's decoder on real COCO JPEGs) and pass the pixels, or use {@link preprocessImageFiles} with that decoder.
 */
import { ImageDecodeError } from '../clip/errors';

/** CLIP's channel means (RGB, on a 0–1 scale), from `clip/clip.py`. */
export const CLIP_MEAN: readonly [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
/** CLIP's channel standard deviations (RGB, on a 0–1 scale). */
export const CLIP_STD: readonly [number, number, number] = [0.26862954, 0.26130258, 0.27577711];

/** Decoded 8-bit RGB pixels, row-major, interleaved: `data[(y · width + x) · 3 + channel]`. */
export interface RgbPixels {
  /** The pixels (`width · height · 3` bytes). */
  data: Uint8Array;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
}

const PRECISION_BITS = 32 - 8 - 2;

/** Pillow's bicubic kernel (`bicubic_filter`, a = −0.5), support 2. */
function bicubic(x: number): number {
  const a = -0.5;
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

interface Coefficients {
  ksize: number;
  /** `[first input index, count]` per output pixel. */
  bounds: Int32Array;
  /** Fixed-point weights, `ksize` per output pixel. */
  weights: Int32Array;
}

/** Pillow's `precompute_coeffs` followed by `normalize_coeffs_8bpc`. */
function coefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = 2 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterscale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = bicubic((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < ksize; x++) {
      const w = x < xmax ? (ww !== 0 ? (k[x] as number) / ww : (k[x] as number)) : 0;
      weights[xx * ksize + x] = Math.trunc(w < 0 ? -0.5 + w * (1 << PRECISION_BITS) : 0.5 + w * (1 << PRECISION_BITS));
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, weights };
}

function clip8(sum: number): number {
  if (sum >= 1 << (PRECISION_BITS + 8)) return 255;
  if (sum <= 0) return 0;
  return Math.floor(sum / (1 << PRECISION_BITS));
}

/**
 * Resizes RGB pixels with Pillow's bicubic filter (`Image.resize(size, Image.BICUBIC)`), bit for bit: the
 * horizontal pass runs over the rows the vertical pass needs, then the vertical pass.
 */
export function resizeBicubic(image: RgbPixels, width: number, height: number): RgbPixels {
  checkPixels(image, 'resizeBicubic');
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`resizeBicubic: size must be positive integers, got ${width}×${height}`);
  }
  if (width === image.width && height === image.height) return { data: image.data.slice(), width, height };
  const vertical = coefficients(image.height, height);
  let source = image;
  let rowOffset = 0;
  if (width !== image.width) {
    const horizontal = coefficients(image.width, width);
    const first = vertical.bounds[0] as number;
    const last = (vertical.bounds[(height - 1) * 2] as number) + (vertical.bounds[(height - 1) * 2 + 1] as number);
    const rows = height !== image.height ? last - first : image.height;
    const start = height !== image.height ? first : 0;
    const out = new Uint8Array(width * rows * 3);
    const { ksize, bounds, weights } = horizontal;
    const init = 1 << (PRECISION_BITS - 1);
    for (let y = 0; y < rows; y++) {
      const rowIn = (y + start) * image.width * 3;
      for (let xx = 0; xx < width; xx++) {
        const xmin = bounds[xx * 2] as number;
        const count = bounds[xx * 2 + 1] as number;
        let s0 = init;
        let s1 = init;
        let s2 = init;
        for (let x = 0; x < count; x++) {
          const w = weights[xx * ksize + x] as number;
          const p = rowIn + (x + xmin) * 3;
          s0 += (image.data[p] as number) * w;
          s1 += (image.data[p + 1] as number) * w;
          s2 += (image.data[p + 2] as number) * w;
        }
        const o = (y * width + xx) * 3;
        out[o] = clip8(s0);
        out[o + 1] = clip8(s1);
        out[o + 2] = clip8(s2);
      }
    }
    source = { data: out, width, height: rows };
    rowOffset = start;
  }
  if (height === image.height) return source;
  const { ksize, bounds, weights } = vertical;
  const out = new Uint8Array(width * height * 3);
  const init = 1 << (PRECISION_BITS - 1);
  const stride = width * 3;
  for (let yy = 0; yy < height; yy++) {
    const ymin = (bounds[yy * 2] as number) - rowOffset;
    const count = bounds[yy * 2 + 1] as number;
    for (let i = 0; i < stride; i++) {
      let s = init;
      for (let y = 0; y < count; y++)
        s += (source.data[(y + ymin) * stride + i] as number) * (weights[yy * ksize + y] as number);
      out[yy * stride + i] = clip8(s);
    }
  }
  return { data: out, width, height };
}

/** Python 3's `round()` (half to even), as torchvision's `CenterCrop` places its window. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The size torchvision's `Resize(n)` gives a `width × height` image: short side `n`, long side `int(n · long / short)`. */
export function shortSideSize(width: number, height: number, n: number): { width: number; height: number } {
  const long = Math.floor((n * Math.max(width, height)) / Math.min(width, height));
  return width <= height ? { width: n, height: long } : { width: long, height: n };
}

/** torchvision's `CenterCrop(n)` of an image at least `n × n`: the window at `round((W − n)/2)`, `round((H − n)/2)`. */
export function centerCrop(image: RgbPixels, n: number): RgbPixels {
  checkPixels(image, 'centerCrop');
  if (image.width < n || image.height < n) {
    throw new RangeError(`centerCrop: the image ${image.width}×${image.height} is smaller than ${n}×${n}`);
  }
  const left = roundHalfEven((image.width - n) / 2);
  const top = roundHalfEven((image.height - n) / 2);
  const out = new Uint8Array(n * n * 3);
  for (let y = 0; y < n; y++) {
    const src = ((top + y) * image.width + left) * 3;
    out.set(image.data.subarray(src, src + n * 3), y * n * 3);
  }
  return { data: out, width: n, height: n };
}

/** Options of {@link clipPreprocess}. */
export interface ClipPreprocessOptions {
  /** Side of the model's input (`n_px`, the visual tower's input resolution; default 224). */
  size?: number;
  /** Channel means (default {@link CLIP_MEAN}). */
  mean?: readonly [number, number, number];
  /** Channel standard deviations (default {@link CLIP_STD}). */
  std?: readonly [number, number, number];
}

/**
 * CLIP's `preprocess` on decoded RGB pixels: bicubic resize of the short side to `size` (Pillow's
 * algorithm), centre crop `size × size`, `÷ 255`, `(x − mean) / std` in float32 as torchvision computes it.
 * Returns `[3, size, size]` values (PyTorch layout), `Float32Array` of `3 · size²`.
 */
export function clipPreprocess(image: RgbPixels, options: ClipPreprocessOptions = {}): Float32Array {
  const size = options.size ?? 224;
  const mean = options.mean ?? CLIP_MEAN;
  const std = options.std ?? CLIP_STD;
  checkPixels(image, 'clipPreprocess');
  const target = shortSideSize(image.width, image.height, size);
  const cropped = centerCrop(resizeBicubic(image, target.width, target.height), size);
  const plane = size * size;
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const m = Math.fround(mean[c] as number);
    const s = Math.fround(std[c] as number);
    for (let p = 0; p < plane; p++) {
      out[c * plane + p] = Math.fround(Math.fround((cropped.data[p * 3 + c] as number) / 255) - m) / s;
    }
  }
  return out;
}

function checkPixels(image: RgbPixels, where: string): void {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`${where}: image size must be positive integers, got ${width}×${height}`);
  }
  if (!(data instanceof Uint8Array) || data.length !== width * height * 3) {
    throw new RangeError(
      `${where}: expected ${width}·${height}·3 = ${width * height * 3} RGB bytes, got ${data?.length}`,
    );
  }
}

/** A decoder of image files to RGB pixels (e.g. `@caption/data-coco`'s `decodeImage`). */
export type ImageDecoder = (path: string) => Promise<RgbPixels>;

/**
 * Decodes and preprocesses every image file (all are decoded before anything is returned, so a broken file
 * stops the work before it starts) into one `[N, 3, size, size]` batch.
 *
 * @param paths image files
 * @param decode the decoder (this package does not decode, see the file comment)
 * @throws {ImageDecodeError} naming the file when it cannot be read or decoded, or its pixels are not RGB
 */
export async function preprocessImageFiles(
  paths: readonly string[],
  decode: ImageDecoder,
  options: ClipPreprocessOptions = {},
): Promise<{ data: Float32Array; shape: [number, number, number, number] }> {
  const size = options.size ?? 224;
  const out = new Float32Array(paths.length * 3 * size * size);
  for (const [i, path] of paths.entries()) {
    let pixels: RgbPixels;
    try {
      pixels = await decode(path);
    } catch (cause) {
      throw new ImageDecodeError(path, cause instanceof Error ? cause.message : String(cause), { cause });
    }
    try {
      out.set(clipPreprocess(pixels, options), i * 3 * size * size);
    } catch (cause) {
      throw new ImageDecodeError(path, `the decoder returned unusable pixels: ${(cause as Error).message}`, { cause });
    }
  }
  return { data: out, shape: [paths.length, 3, size, size] };
}
