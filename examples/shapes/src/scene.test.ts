import { Random } from '@caption/core';
import { describe, expect, it } from 'vitest';
import {
  deriveSeed,
  extremeObject,
  gridCell,
  objectOutline,
  outlineBounds,
  sampleScene,
  spatialRelation,
  type SceneObject,
} from './scene';

function at(x: number, y: number): Pick<SceneObject, 'center'> {
  return { center: [x, y] };
}

describe('sampleScene', () => {
  const scenes = Array.from({ length: 400 }, (_, i) => sampleScene(new Random(deriveSeed(3, i, 1))));

  it('draws 1-4 shapes inside the image whose boxes do not touch', () => {
    for (const s of scenes) {
      expect(s.objects.length).toBeGreaterThanOrEqual(1);
      expect(s.objects.length).toBeLessThanOrEqual(4);
      for (const o of s.objects) {
        const [x, y, w, h] = o.bbox;
        expect(x).toBeGreaterThanOrEqual(1);
        expect(y).toBeGreaterThanOrEqual(1);
        expect(x + w).toBeLessThanOrEqual(s.size - 1);
        expect(y + h).toBeLessThanOrEqual(s.size - 1);
        // the box covers the exact outline
        const [x1, y1, x2, y2] = outlineBounds(objectOutline(o));
        expect(x1).toBeGreaterThanOrEqual(x);
        expect(y2).toBeLessThanOrEqual(y + h);
        expect(x2).toBeLessThanOrEqual(x + w);
        expect(y1).toBeGreaterThanOrEqual(y);
      }
      for (let i = 0; i < s.objects.length; i++) {
        for (let j = i + 1; j < s.objects.length; j++) {
          const [ax, ay, aw, ah] = s.objects[i]!.bbox;
          const [bx, by, bw, bh] = s.objects[j]!.bbox;
          const apart = ax + aw < bx || bx + bw < ax || ay + ah < by || by + bh < ay;
          expect(apart).toBe(true);
        }
      }
    }
  });

  it('gives every two-shape scene a clear relation, and uses every count, size and a range of classes', () => {
    for (const s of scenes.filter((x) => x.objects.length === 2)) {
      expect(spatialRelation(s.objects[0]!, s.objects[1]!)).not.toBeNull();
    }
    const counts = new Set(scenes.map((s) => s.objects.length));
    expect([...counts].sort()).toEqual([1, 2, 3, 4]);
    const all = scenes.flatMap((s) => s.objects);
    expect(new Set(all.map((o) => o.shape)).size).toBe(5);
    expect(new Set(all.map((o) => o.color)).size).toBe(6);
    expect(new Set(all.map((o) => o.size)).size).toBe(2);
    expect(new Set(scenes.map((s) => s.background.tone)).size).toBe(2);
    // small shapes are smaller than large ones
    const maxSmall = Math.max(...all.filter((o) => o.size === 'small').map((o) => o.extent));
    const minLarge = Math.min(...all.filter((o) => o.size === 'large').map((o) => o.extent));
    expect(maxSmall).toBeLessThan(minLarge);
  });

  it('is a function of the generator state', () => {
    expect(sampleScene(new Random(11))).toEqual(sampleScene(new Random(11)));
    expect(sampleScene(new Random(11))).not.toEqual(sampleScene(new Random(12)));
  });
});

describe('relations', () => {
  it('states a relation only when the offset is clearly along one axis', () => {
    expect(spatialRelation(at(10, 30), at(40, 32))).toBe('left');
    expect(spatialRelation(at(40, 32), at(10, 30))).toBe('right');
    expect(spatialRelation(at(30, 5), at(33, 50))).toBe('above');
    expect(spatialRelation(at(33, 50), at(30, 5))).toBe('below');
    expect(spatialRelation(at(10, 10), at(40, 40))).toBeNull(); // diagonal
  });

  it('finds a clear extreme and the 3x3 cell', () => {
    const objs = [at(5, 30), at(30, 30), at(50, 10)] as SceneObject[];
    expect(extremeObject(objs, 'left', 64)).toBe(0);
    expect(extremeObject(objs, 'above', 64)).toBe(2);
    expect(extremeObject([at(5, 30), at(8, 50)] as SceneObject[], 'left', 64)).toBeNull(); // 3 px apart < 6.4
    expect(gridCell(at(5, 60), 64)).toEqual({ row: 2, col: 0 });
    expect(gridCell(at(32, 32), 64)).toEqual({ row: 1, col: 1 });
  });

  it('derives distinct seeds per index and stream', () => {
    const seeds = new Set<number>();
    for (let i = 0; i < 1000; i++) for (const stream of [1, 2, 3]) seeds.add(deriveSeed(1, i, stream));
    expect(seeds.size).toBe(3000);
    expect(deriveSeed(1, 5, 1)).not.toBe(deriveSeed(2, 5, 1));
  });
});
