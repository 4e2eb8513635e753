import { describe, expect, it } from 'vitest';
import { renderScene } from './rasterise';
import type { Background, Scene, SceneObject } from './scene';

const flat: Background = {
  tone: 'dark',
  style: 'solid',
  from: [20, 30, 40],
  to: [20, 30, 40],
  noiseAmplitude: 0,
  noiseSeed: 1,
};

function obj(
  shape: SceneObject['shape'],
  center: [number, number],
  extent: number,
  bbox: SceneObject['bbox'],
): SceneObject {
  return { shape, color: 'red', size: 'large', rgb: [200, 40, 30], center, extent, rotation: 0, bbox };
}

function pixel(img: Uint8Array, size: number, x: number, y: number): number[] {
  const o = (y * size + x) * 3;
  return [img[o]!, img[o + 1]!, img[o + 2]!];
}

describe('renderScene', () => {
  it('fills the inside with the object colour, leaves the background elsewhere and blends the edge', () => {
    const circle = obj('circle', [32, 32], 20, [22, 22, 20, 20]);
    const img = renderScene({ size: 64, background: flat, objects: [circle] });
    expect(pixel(img, 64, 32, 32)).toEqual([200, 40, 30]);
    expect(pixel(img, 64, 2, 2)).toEqual([20, 30, 40]);
    // Red channel summed over the image: background + (200-20) * covered area; the area of a disc of
    // radius 10 is 314.16 px^2, which the distance-based coverage approximates within 1 %.
    let red = 0;
    for (let i = 0; i < img.length; i += 3) red += img[i]!;
    const area = (red - 20 * 64 * 64) / (200 - 20);
    expect(Math.abs(area - Math.PI * 100) / (Math.PI * 100)).toBeLessThan(0.01);
    // anti-aliased: some edge pixels are strictly between background and fill
    let partial = 0;
    for (let i = 0; i < img.length; i += 3) if (img[i]! > 25 && img[i]! < 195) partial++;
    expect(partial).toBeGreaterThan(20);
  });

  it('draws a square of the expected area (side 0.86 of the extent)', () => {
    const square = obj('square', [30, 30], 20, [21, 21, 18, 18]);
    const img = renderScene({ size: 64, background: flat, objects: [square] });
    let red = 0;
    for (let i = 0; i < img.length; i += 3) red += img[i]!;
    const area = (red - 20 * 64 * 64) / 180;
    expect(area).toBeCloseTo(17.2 * 17.2, -1);
  });

  it('adds bounded, seeded noise and a gradient background', () => {
    const noisy: Scene = {
      size: 64,
      background: { ...flat, style: 'horizontal', to: [120, 30, 40], noiseAmplitude: 6 },
      objects: [],
    };
    const a = renderScene(noisy);
    expect(renderScene(noisy)).toEqual(a);
    expect(renderScene({ ...noisy, background: { ...noisy.background, noiseSeed: 2 } })).not.toEqual(a);
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 64; x++) {
        const expected = 20 + (100 * x) / 63;
        expect(Math.abs(pixel(a, 64, x, y)[0]! - expected)).toBeLessThanOrEqual(6.5);
      }
    }
  });
});
