/**
 * A small anti-aliased rasteriser: draws a {@link Scene} into an interleaved RGB byte buffer. Coverage of a
 * pixel is estimated from the signed distance of its centre to the shape's outline (`clamp(0.5 - d, 0, 1)`),
 * which gives one-pixel-wide smooth edges at the cost of one distance evaluation per pixel.
 */
import { Random } from '@caption/core';
import { objectOutline, type Outline, type Scene } from './scene';

/** Signed distance (pixels; negative inside) from a point to an outline. */
export function signedDistance(outline: Outline, px: number, py: number): number {
  if (outline.kind === 'circle') return Math.hypot(px - outline.cx, py - outline.cy) - outline.r;
  const { xs, ys } = outline;
  const n = xs.length;
  let minSq = Infinity;
  let inside = false;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const ax = xs[j]!;
    const ay = ys[j]!;
    const bx = xs[i]!;
    const by = ys[i]!;
    const ex = bx - ax;
    const ey = by - ay;
    const wx = px - ax;
    const wy = py - ay;
    const t = Math.max(0, Math.min(1, (wx * ex + wy * ey) / (ex * ex + ey * ey)));
    const dx = wx - ex * t;
    const dy = wy - ey * t;
    minSq = Math.min(minSq, dx * dx + dy * dy);
    if (ay > py !== by > py && px < ax + ((py - ay) * ex) / ey) inside = !inside;
  }
  const d = Math.sqrt(minSq);
  return inside ? -d : d;
}

/**
 * Renders a scene: background (flat or gradient), the shapes with anti-aliased edges, then uniform noise of
 * the background's amplitude on every channel. A pure function of the scene (the noise comes from
 * `scene.background.noiseSeed`).
 *
 * @returns `size * size * 3` bytes, row-major, RGB interleaved
 */
export function renderScene(scene: Scene): Uint8Array {
  const n = scene.size;
  const canvas = new Float32Array(n * n * 3);
  const { from, to, style } = scene.background;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const t =
        style === 'solid'
          ? 0
          : style === 'vertical'
            ? y / (n - 1)
            : style === 'horizontal'
              ? x / (n - 1)
              : (x + y) / (2 * (n - 1));
      const o = (y * n + x) * 3;
      for (let c = 0; c < 3; c++) canvas[o + c] = from[c]! + (to[c]! - from[c]!) * t;
    }
  }
  for (const obj of scene.objects) {
    const outline = objectOutline(obj);
    const [bx, by, bw, bh] = obj.bbox;
    const x0 = Math.max(0, bx - 1);
    const y0 = Math.max(0, by - 1);
    const x1 = Math.min(n - 1, bx + bw + 1);
    const y1 = Math.min(n - 1, by + bh + 1);
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const alpha = Math.max(0, Math.min(1, 0.5 - signedDistance(outline, x + 0.5, y + 0.5)));
        if (alpha === 0) continue;
        const o = (y * n + x) * 3;
        for (let c = 0; c < 3; c++) canvas[o + c] = canvas[o + c]! * (1 - alpha) + obj.rgb[c]! * alpha;
      }
    }
  }
  // Uniform noise in [-amplitude, amplitude]: one 32-bit draw gives four 8-bit noise values.
  const rng = new Random(scene.background.noiseSeed);
  const scale = (2 * scene.background.noiseAmplitude) / 255;
  const amplitude = scene.background.noiseAmplitude;
  const out = new Uint8Array(canvas.length);
  let bits = 0;
  for (let i = 0; i < canvas.length; i++) {
    if ((i & 3) === 0) bits = rng.nextUint32();
    const noise = ((bits >>> ((i & 3) * 8)) & 255) * scale - amplitude;
    out[i] = Math.max(0, Math.min(255, Math.round(canvas[i]! + noise)));
  }
  return out;
}
