/**
 * Scenes of the shapes data set: what is drawn in one image (background and 1-4 coloured shapes), how a
 * scene is sampled from a seeded generator, and the geometric facts (outlines, boxes, spatial relations)
 * that both the rasteriser and the caption grammars read.
 */
import { type Random } from '@caption/core';

/** The shape classes, in class-index order (the CNN of the feature extractor uses these indices). */
export const SHAPE_NAMES = ['circle', 'square', 'triangle', 'star', 'diamond'] as const;
/** One shape class. */
export type ShapeName = (typeof SHAPE_NAMES)[number];

/** The colour classes, in class-index order. */
export const COLOR_NAMES = ['red', 'green', 'blue', 'yellow', 'purple', 'orange'] as const;
/** One colour class. */
export type ColorName = (typeof COLOR_NAMES)[number];

/** The size classes: a small shape spans about a sixth of the image, a large one about a third. */
export const SIZE_NAMES = ['small', 'large'] as const;
/** One size class. */
export type SizeName = (typeof SIZE_NAMES)[number];

/** An sRGB colour, three integers in 0..255. */
export type Rgb = [number, number, number];

/** The nominal sRGB value of each colour class; every drawn object is jittered around it. */
export const BASE_COLORS: Readonly<Record<ColorName, Rgb>> = {
  red: [214, 38, 40],
  green: [44, 160, 64],
  blue: [38, 84, 214],
  yellow: [236, 204, 36],
  purple: [148, 58, 186],
  orange: [246, 132, 26],
};

/** Whether the background is light or dark (captions may say so). */
export type BackgroundTone = 'light' | 'dark';

/** How the background colour varies over the image. */
export type BackgroundStyle = 'solid' | 'vertical' | 'horizontal' | 'diagonal';

/** The background of a scene: a flat colour or a linear gradient, plus per-pixel noise. */
export interface Background {
  /** light or dark */
  tone: BackgroundTone;
  /** flat, or the direction of the gradient (vertical: top to bottom) */
  style: BackgroundStyle;
  /** colour at the start of the gradient (the whole background when `style` is `solid`) */
  from: Rgb;
  /** colour at the end of the gradient */
  to: Rgb;
  /** amplitude of the per-pixel noise, in 0..255 levels (the noise is within ±amplitude) */
  noiseAmplitude: number;
  /** seed of the noise, so that rendering is a pure function of the scene */
  noiseSeed: number;
}

/** One drawn shape. Coordinates are pixels, origin at the top-left corner, y pointing down. */
export interface SceneObject {
  /** shape class */
  shape: ShapeName;
  /** colour class */
  color: ColorName;
  /** size class */
  size: SizeName;
  /** the exact fill colour (the colour class's base colour, jittered) */
  rgb: Rgb;
  /** centre of the shape's bounding square, [x, y] */
  center: [number, number];
  /** side of the square the unrotated shape is inscribed in, in pixels */
  extent: number;
  /** rotation in degrees, clockwise (0 for circles and diamonds) */
  rotation: number;
  /** integer bounding box of the drawn shape, COCO convention `[x, y, width, height]` */
  bbox: [number, number, number, number];
}

/** Everything drawn in one image. */
export interface Scene {
  /** image width and height in pixels (images are square) */
  size: number;
  /** the background */
  background: Background;
  /** the shapes, in drawing order (they never overlap) */
  objects: SceneObject[];
}

/** Options of {@link sampleScene}. */
export interface SceneOptions {
  /** image side in pixels (default 64) */
  imageSize?: number;
  /** fewest shapes per image (default 1) */
  minObjects?: number;
  /** most shapes per image (default 4) */
  maxObjects?: number;
}

/** The outline of a shape: a circle, or a closed polygon (vertices in order). */
export type Outline =
  { kind: 'circle'; cx: number; cy: number; r: number } | { kind: 'polygon'; xs: Float64Array; ys: Float64Array };

/** Relation of one object to another, as in "A is left of B". */
export type SpatialRelation = 'left' | 'right' | 'above' | 'below';

/** Minimum ratio between the dominant and the other axis of the centre offset for a relation to be stated. */
export const CLEAR_RELATION_RATIO = 2;

const SMALL_EXTENT: readonly [number, number] = [0.17, 0.2];
const LARGE_EXTENT: readonly [number, number] = [0.3, 0.36];
const MAX_ROTATION_DEG = 12;
const MIN_GAP_PX = 2;
const COLOR_JITTER = 14;
/** Probability that an object repeats the colour and shape of an earlier one (so that counts are seen). */
const REPEAT_PROBABILITY = 0.15;

/** Picks one element of a non-empty array. */
export function pick<T>(rng: Random, items: readonly T[]): T {
  const item = items[rng.nextInt(items.length)];
  if (item === undefined) throw new RangeError('pick: empty list');
  return item;
}

function uniform(rng: Random, lo: number, hi: number): number {
  return lo + (hi - lo) * rng.next();
}

function clampByte(v: number): number {
  return Math.max(0, Math.min(255, Math.round(v)));
}

/**
 * A 32-bit seed for one item of one stream, from the data set seed: `(seed, index, stream)` triples that
 * differ give independent-looking seeds, so images can be made in any order and the caption stream does not
 * depend on the image stream.
 */
export function deriveSeed(seed: number, index: number, stream: number): number {
  let h = (seed ^ 0x27d4eb2d) >>> 0;
  for (const v of [index, stream]) {
    h = Math.imul(h ^ (v >>> 0), 0x9e3779b1) >>> 0;
    h ^= h >>> 15;
    h = Math.imul(h, 0x85ebca77) >>> 0;
    h ^= h >>> 13;
  }
  return h >>> 0;
}

/** The outline of an object, in image pixels. */
export function objectOutline(obj: Pick<SceneObject, 'shape' | 'center' | 'extent' | 'rotation'>): Outline {
  const [cx, cy] = obj.center;
  const e = obj.extent;
  if (obj.shape === 'circle') return { kind: 'circle', cx, cy, r: e / 2 };
  let local: Array<[number, number]>;
  switch (obj.shape) {
    case 'square': {
      const h = (e * 0.86) / 2;
      local = [
        [-h, -h],
        [h, -h],
        [h, h],
        [-h, h],
      ];
      break;
    }
    case 'triangle': {
      const h = (e * Math.sqrt(3)) / 2;
      local = [
        [0, -h / 2 - 0.04 * e],
        [e / 2, h / 2 - 0.04 * e],
        [-e / 2, h / 2 - 0.04 * e],
      ];
      break;
    }
    case 'star': {
      local = [];
      const outer = e / 2;
      const inner = outer * 0.45;
      for (let k = 0; k < 10; k++) {
        const r = k % 2 === 0 ? outer : inner;
        const a = -Math.PI / 2 + (k * Math.PI) / 5;
        local.push([r * Math.cos(a), r * Math.sin(a) + 0.06 * e]);
      }
      break;
    }
    case 'diamond': {
      const h = e / 2;
      local = [
        [0, -h],
        [h * 0.72, 0],
        [0, h],
        [-h * 0.72, 0],
      ];
      break;
    }
  }
  const a = (obj.rotation * Math.PI) / 180;
  const cos = Math.cos(a);
  const sin = Math.sin(a);
  const xs = new Float64Array(local.length);
  const ys = new Float64Array(local.length);
  local.forEach(([x, y], i) => {
    xs[i] = cx + x * cos - y * sin;
    ys[i] = cy + x * sin + y * cos;
  });
  return { kind: 'polygon', xs, ys };
}

/** The real-valued bounds `[x1, y1, x2, y2]` of an outline. */
export function outlineBounds(outline: Outline): [number, number, number, number] {
  if (outline.kind === 'circle') {
    return [outline.cx - outline.r, outline.cy - outline.r, outline.cx + outline.r, outline.cy + outline.r];
  }
  return [Math.min(...outline.xs), Math.min(...outline.ys), Math.max(...outline.xs), Math.max(...outline.ys)];
}

/** The integer COCO box `[x, y, width, height]` covering an outline. */
function integerBox(outline: Outline): [number, number, number, number] {
  const [x1, y1, x2, y2] = outlineBounds(outline);
  const fx = Math.floor(x1);
  const fy = Math.floor(y1);
  return [fx, fy, Math.ceil(x2) - fx, Math.ceil(y2) - fy];
}

function boxesApart(a: readonly number[], b: readonly number[], gap: number): boolean {
  const [ax = 0, ay = 0, aw = 0, ah = 0] = a;
  const [bx = 0, by = 0, bw = 0, bh = 0] = b;
  return ax + aw + gap <= bx || bx + bw + gap <= ax || ay + ah + gap <= by || by + bh + gap <= ay;
}

/**
 * The relation of `a` to `b` ("a is left of b") when the offset between their centres is clearly along one
 * axis (the dominant component at least {@link CLEAR_RELATION_RATIO} times the other), else `null`.
 */
export function spatialRelation(
  a: Pick<SceneObject, 'center'>,
  b: Pick<SceneObject, 'center'>,
  ratio = CLEAR_RELATION_RATIO,
): SpatialRelation | null {
  const dx = b.center[0] - a.center[0];
  const dy = b.center[1] - a.center[1];
  if (Math.abs(dx) >= ratio * Math.abs(dy) && dx !== 0) return dx > 0 ? 'left' : 'right';
  if (Math.abs(dy) >= ratio * Math.abs(dx) && dy !== 0) return dy > 0 ? 'above' : 'below';
  return null;
}

/** The inverse relation: if a is left of b, b is right of a. */
export function inverseRelation(rel: SpatialRelation): SpatialRelation {
  switch (rel) {
    case 'left':
      return 'right';
    case 'right':
      return 'left';
    case 'above':
      return 'below';
    case 'below':
      return 'above';
  }
}

function sampleBackground(rng: Random): Background {
  const tone: BackgroundTone = rng.next() < 0.5 ? 'light' : 'dark';
  const [lo, hi] = tone === 'light' ? [178, 238] : [14, 72];
  const base = uniform(rng, lo, hi);
  const tint: Rgb = [0, 0, 0].map(() => uniform(rng, -12, 12)) as Rgb;
  const from = tint.map((t) => clampByte(Math.max(lo - 8, Math.min(hi + 8, base + t)))) as Rgb;
  const styles: readonly BackgroundStyle[] = ['solid', 'solid', 'vertical', 'horizontal', 'diagonal'];
  const style = pick(rng, styles);
  const shift = uniform(rng, -36, 36);
  const to = from.map((c) => clampByte(Math.max(lo - 8, Math.min(hi + 8, c + shift)))) as Rgb;
  return {
    tone,
    style,
    from,
    to: style === 'solid' ? ([...from] as Rgb) : to,
    noiseAmplitude: Math.round(uniform(rng, 3, 9)),
    noiseSeed: rng.nextUint32(),
  };
}

function sampleObjectCount(rng: Random, min: number, max: number): number {
  // Weights 20/35/25/20 % for 1..4 objects; other ranges are uniform.
  if (min === 1 && max === 4) {
    const u = rng.next();
    return u < 0.2 ? 1 : u < 0.55 ? 2 : u < 0.8 ? 3 : 4;
  }
  return min + rng.nextInt(max - min + 1);
}

/**
 * Samples one scene: a background and `minObjects..maxObjects` non-overlapping shapes. With exactly two
 * shapes their relation is always clear (see {@link spatialRelation}), so every caption can state it.
 * Deterministic for a given generator state.
 */
export function sampleScene(rng: Random, options: SceneOptions = {}): Scene {
  const size = options.imageSize ?? 64;
  const minObjects = options.minObjects ?? 1;
  const maxObjects = options.maxObjects ?? 4;
  if (!Number.isInteger(size) || size < 32)
    throw new RangeError(`sampleScene: imageSize must be an integer >= 32, got ${size}`);
  if (!(
    Number.isInteger(minObjects) &&
    Number.isInteger(maxObjects) &&
    minObjects >= 1 &&
    maxObjects <= 4 &&
    minObjects <= maxObjects
  )) {
    throw new RangeError(`sampleScene: need 1 <= minObjects <= maxObjects <= 4, got ${minObjects}..${maxObjects}`);
  }
  const background = sampleBackground(rng);
  const count = sampleObjectCount(rng, minObjects, maxObjects);
  for (;;) {
    const objects = placeObjects(rng, size, count);
    if (objects !== null) return { size, background, objects };
  }
}

function placeObjects(rng: Random, size: number, count: number): SceneObject[] | null {
  const objects: SceneObject[] = [];
  for (let i = 0; i < count; i++) {
    const earlier = objects[rng.nextInt(Math.max(1, objects.length))];
    const repeat = earlier !== undefined && rng.next() < REPEAT_PROBABILITY;
    const shape = repeat ? earlier.shape : pick(rng, SHAPE_NAMES);
    const color = repeat ? earlier.color : pick(rng, COLOR_NAMES);
    const sizeName = pick(rng, SIZE_NAMES);
    const [lo, hi] = sizeName === 'small' ? SMALL_EXTENT : LARGE_EXTENT;
    const extent = Math.round(uniform(rng, lo, hi) * size * 4) / 4;
    const rotation =
      shape === 'circle' || shape === 'diamond' ? 0 : Math.round(uniform(rng, -MAX_ROTATION_DEG, MAX_ROTATION_DEG));
    const base = BASE_COLORS[color];
    const rgb = base.map((c) => clampByte(c + uniform(rng, -COLOR_JITTER, COLOR_JITTER))) as Rgb;
    let placed: SceneObject | null = null;
    for (let attempt = 0; attempt < 60 && placed === null; attempt++) {
      const half = extent * 0.62;
      const center: [number, number] = [
        Math.round(uniform(rng, half + 1, size - half - 1) * 4) / 4,
        Math.round(uniform(rng, half + 1, size - half - 1) * 4) / 4,
      ];
      const candidate = { shape, center, extent, rotation };
      const bbox = integerBox(objectOutline(candidate));
      if (bbox[0] < 1 || bbox[1] < 1 || bbox[0] + bbox[2] > size - 1 || bbox[1] + bbox[3] > size - 1) continue;
      if (!objects.every((o) => boxesApart(o.bbox, bbox, MIN_GAP_PX))) continue;
      if (count === 2 && objects.length === 1 && spatialRelation(objects[0] as SceneObject, { center }) === null)
        continue;
      placed = { shape, color, size: sizeName, rgb, center, extent, rotation, bbox };
    }
    if (placed === null) return null;
    objects.push(placed);
  }
  return objects;
}

/** Where an object lies in the image, on a 3x3 grid: row and column each 0, 1 or 2. */
export function gridCell(obj: Pick<SceneObject, 'center'>, imageSize: number): { row: number; col: number } {
  const third = (v: number): number => Math.min(2, Math.max(0, Math.floor((v / imageSize) * 3)));
  return { row: third(obj.center[1]), col: third(obj.center[0]) };
}

/**
 * The index of the object that is extreme in a direction (leftmost for `left`, topmost for `above`...) when
 * it is so by a clear margin (a tenth of the image) over the runner-up, else `null`.
 */
export function extremeObject(
  objects: readonly SceneObject[],
  direction: SpatialRelation,
  imageSize: number,
): number | null {
  if (objects.length < 2) return null;
  const key = (o: SceneObject): number => {
    switch (direction) {
      case 'left':
        return o.center[0];
      case 'right':
        return -o.center[0];
      case 'above':
        return o.center[1];
      case 'below':
        return -o.center[1];
    }
  };
  const order = objects.map((o, i) => ({ i, k: key(o) })).sort((p, q) => p.k - q.k);
  const [first, second] = order;
  if (first === undefined || second === undefined) return null;
  return second.k - first.k >= imageSize / 10 ? first.i : null;
}
