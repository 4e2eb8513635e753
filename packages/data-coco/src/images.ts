/**
 * Image decoding and preprocessing with sharp (libvips). Decoding ignores embedded ICC profiles, which
 * makes the RGB bytes identical to Python's Pillow `Image.open(f).convert('RGB')` (checked on 40 real
 * COCO JPEGs, ten with ICC profiles; see docs/exactness.md); grayscale images come out with 3 equal channels,
 * as the reference's `prepro_feats.py` stacks them.
 */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { DataFormatError } from './errors.js';
import type { ShapedArray } from './npy.js';
import type { Random } from './random.js';

/** ImageNet channel means (RGB, on a 0–1 scale), what torchvision's ResNets expect. */
export const IMAGENET_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406];
/** ImageNet channel standard deviations (RGB, on a 0–1 scale). */
export const IMAGENET_STD: readonly [number, number, number] = [0.229, 0.224, 0.225];

/** A decoded image: 8-bit RGB, row-major, interleaved (height × width × 3). */
export interface RgbImage {
  /** The pixels, `(y * width + x) * 3 + channel`. */
  data: Uint8Array;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
}

async function inputBytes(input: string | Uint8Array): Promise<{ bytes: Uint8Array; file?: string }> {
  if (typeof input !== 'string') return { bytes: input };
  try {
    return { bytes: new Uint8Array(await readFile(input)), file: input };
  } catch (cause) {
    throw new DataFormatError(`cannot read the image (${(cause as Error).message})`, { file: input }, { cause });
  }
}

/** Options of {@link decodeImage}. */
export interface DecodeImageOptions {
  /**
   * Also fail on libvips' warnings (e.g. "Corrupt JPEG data: premature end of data segment", which bytes
   * overwritten in the middle of a JPEG give: it still decodes, to wrong pixels). Default false, as Pillow.
   */
  strict?: boolean;
}

/**
 * Decodes an image file or buffer to 8-bit RGB, ignoring ICC profiles and EXIF orientation (as Pillow
 * does), dropping alpha, expanding grayscale to 3 channels. Truncated data is an error, not grey pixels.
 *
 * @throws DataFormatError naming the file when the image cannot be decoded
 */
export async function decodeImage(input: string | Uint8Array, options: DecodeImageOptions = {}): Promise<RgbImage> {
  const { bytes, file } = await inputBytes(input);
  try {
    const { data, info } = await sharp(bytes, {
      ignoreIcc: true,
      failOn: options.strict === true ? 'warning' : 'truncated',
    })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const pixels = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (info.channels === 3) return { data: pixels, width: info.width, height: info.height };
    if (info.channels === 1) {
      const rgb = new Uint8Array(info.width * info.height * 3);
      for (let i = 0; i < pixels.length; i += 1) rgb.fill(pixels[i] as number, i * 3, i * 3 + 3);
      return { data: rgb, width: info.width, height: info.height };
    }
    throw new Error(`unexpected channel count ${info.channels}`);
  } catch (cause) {
    throw new DataFormatError(`cannot decode the image (${(cause as Error).message})`, { file }, { cause });
  }
}

/** Options of {@link preprocessImage}. */
export interface PreprocessOptions {
  /**
   * Resize first: to an exact size, or so that the shorter side has this length and the longer one
   * `floor(shortSide · long / short)` (torchvision's `Resize(int)`). Default: none.
   */
  resize?: { width: number; height: number } | { shortSide: number };
  /** sharp's resampling kernel for `resize`. Default `lanczos3`. */
  kernel?: 'nearest' | 'linear' | 'cubic' | 'mitchell' | 'lanczos2' | 'lanczos3';
  /**
   * Crop after resizing: the centre (placed as torchvision's `CenterCrop`), or a random window drawn from `random`.
   * Default: none.
   */
  crop?: { width: number; height: number; mode: 'center' | 'random' };
  /** Mirror left–right: always, never, or with probability ½ drawn from `random`. Default false. */
  flip?: boolean | 'random';
  /** Channel means subtracted after scaling to 0–1. Default {@link IMAGENET_MEAN}. */
  mean?: readonly [number, number, number];
  /** Channel standard deviations divided by. Default {@link IMAGENET_STD}. */
  std?: readonly [number, number, number];
  /** `chw` ([3, H, W], PyTorch) or `hwc` ([H, W, 3], TensorFlow). Default `chw`. */
  layout?: 'chw' | 'hwc';
  /** The generator for random crops and flips (required when either is random). */
  random?: Pick<Random, 'next' | 'nextInt'>;
}

/** Python 3's `round()` (half to even), as torchvision's `CenterCrop` places its window. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Resizes RGB pixels with sharp. */
export async function resizeImage(
  image: RgbImage,
  width: number,
  height: number,
  kernel: NonNullable<PreprocessOptions['kernel']> = 'lanczos3',
): Promise<RgbImage> {
  const { data, info } = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width: info.width,
    height: info.height,
  };
}

/** A window of RGB pixels (copied). */
export function cropImage(image: RgbImage, left: number, top: number, width: number, height: number): RgbImage {
  if (left < 0 || top < 0 || left + width > image.width || top + height > image.height) {
    throw new RangeError(
      `cropImage: window ${width}×${height} at (${left}, ${top}) exceeds ${image.width}×${image.height}`,
    );
  }
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y += 1) {
    const src = ((top + y) * image.width + left) * 3;
    out.set(image.data.subarray(src, src + width * 3), y * width * 3);
  }
  return { data: out, width, height };
}

/** The image mirrored left–right (copied). */
export function flipImage(image: RgbImage): RgbImage {
  const out = new Uint8Array(image.data.length);
  for (let y = 0; y < image.height; y += 1) {
    for (let x = 0; x < image.width; x += 1) {
      const src = (y * image.width + x) * 3;
      const dst = (y * image.width + (image.width - 1 - x)) * 3;
      out[dst] = image.data[src] as number;
      out[dst + 1] = image.data[src + 1] as number;
      out[dst + 2] = image.data[src + 2] as number;
    }
  }
  return { data: out, width: image.width, height: image.height };
}

/** Scales to 0–1, subtracts `mean`, divides by `std`, per channel, into the asked layout. */
export function normalizeImage(
  image: RgbImage,
  mean: readonly [number, number, number] = IMAGENET_MEAN,
  std: readonly [number, number, number] = IMAGENET_STD,
  layout: 'chw' | 'hwc' = 'chw',
): ShapedArray<Float32Array> {
  const { width, height } = image;
  const plane = width * height;
  const out = new Float32Array(plane * 3);
  for (let p = 0; p < plane; p += 1) {
    for (let c = 0; c < 3; c += 1) {
      const v = ((image.data[p * 3 + c] as number) / 255 - (mean[c] as number)) / (std[c] as number);
      out[layout === 'chw' ? c * plane + p : p * 3 + c] = v;
    }
  }
  return { data: out, shape: layout === 'chw' ? [3, height, width] : [height, width, 3] };
}

/**
 * Decode → resize → crop → flip → normalise, ready for a CNN.
 *
 * @example
 * ```ts
 * const rng = new Random(0);
 * const x = await preprocessImage('val2014/COCO_val2014_000000000139.jpg', {
 *   resize: { shortSide: 256 }, crop: { width: 224, height: 224, mode: 'random' }, flip: 'random', random: rng,
 * }); // x.shape = [3, 224, 224]
 * ```
 */
export async function preprocessImage(
  input: string | Uint8Array | RgbImage,
  options: PreprocessOptions = {},
): Promise<ShapedArray<Float32Array>> {
  let image = input instanceof Uint8Array || typeof input === 'string' ? await decodeImage(input) : input;
  const needsRandom = options.crop?.mode === 'random' || options.flip === 'random';
  if (needsRandom && options.random === undefined)
    throw new RangeError('preprocessImage: random crop or flip needs `random`');
  if (options.resize !== undefined) {
    let { width, height } = options.resize as { width?: number; height?: number };
    if ('shortSide' in options.resize) {
      // torchvision's _compute_resized_output_size: the short side as asked, the long one truncated
      const short = Math.min(image.width, image.height);
      const long = Math.floor((options.resize.shortSide * Math.max(image.width, image.height)) / short);
      [width, height] =
        image.width <= image.height ? [options.resize.shortSide, long] : [long, options.resize.shortSide];
    }
    image = await resizeImage(image, width as number, height as number, options.kernel);
  }
  if (options.crop !== undefined) {
    const { width, height, mode } = options.crop;
    if (width > image.width || height > image.height) {
      throw new RangeError(
        `preprocessImage: crop ${width}×${height} is larger than the image ${image.width}×${image.height}`,
      );
    }
    const left =
      mode === 'center'
        ? roundHalfEven((image.width - width) / 2)
        : (options.random as Pick<Random, 'next' | 'nextInt'>).nextInt(image.width - width + 1);
    const top =
      mode === 'center'
        ? roundHalfEven((image.height - height) / 2)
        : (options.random as Pick<Random, 'next' | 'nextInt'>).nextInt(image.height - height + 1);
    image = cropImage(image, left, top, width, height);
  }
  const flip =
    options.flip === 'random'
      ? (options.random as Pick<Random, 'next' | 'nextInt'>).next() < 0.5
      : options.flip === true;
  if (flip) image = flipImage(image);
  return normalizeImage(image, options.mean, options.std, options.layout);
}
