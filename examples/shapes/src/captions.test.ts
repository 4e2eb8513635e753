import { Random } from '@caption/core';
import { describe, expect, it } from 'vitest';
import { sampleCaptions } from './caption-grammar';
import { englishGrammar } from './captions-en';
import { chineseGrammar } from './captions-zh';
import { deriveSeed, sampleScene, spatialRelation, type ColorName, type Scene, type ShapeName } from './scene';

// The test's own reading of the words (written independently of the grammars' tables).
const EN_COLORS: Record<string, ColorName> = {
  red: 'red',
  green: 'green',
  blue: 'blue',
  yellow: 'yellow',
  purple: 'purple',
  orange: 'orange',
};
const EN_SHAPES: Record<string, ShapeName> = {
  circle: 'circle',
  circles: 'circle',
  disc: 'circle',
  discs: 'circle',
  square: 'square',
  squares: 'square',
  block: 'square',
  blocks: 'square',
  triangle: 'triangle',
  triangles: 'triangle',
  star: 'star',
  stars: 'star',
  diamond: 'diamond',
  diamonds: 'diamond',
  rhombus: 'diamond',
  rhombuses: 'diamond',
};
const EN_COUNTS: Record<string, number> = { one: 1, two: 2, three: 3, four: 4 };
const ZH_COLORS: Record<string, ColorName> = {
  红色: 'red',
  绿色: 'green',
  蓝色: 'blue',
  黄色: 'yellow',
  紫色: 'purple',
  橙色: 'orange',
};
const ZH_SHAPES: Record<string, ShapeName> = {
  圆形: 'circle',
  圆: 'circle',
  圆圈: 'circle',
  正方形: 'square',
  方块: 'square',
  方形: 'square',
  三角形: 'triangle',
  星形: 'star',
  五角星: 'star',
  星星: 'star',
  菱形: 'diamond',
};

const scenes: Scene[] = Array.from({ length: 600 }, (_, i) => sampleScene(new Random(deriveSeed(5, i, 1))));

describe('English captions', () => {
  const all = scenes.map((s, i) => ({ scene: s, captions: sampleCaptions(englishGrammar, s, new Random(i), 5) }));

  it('name only colours and shapes that are drawn, and every image gets a colour named', () => {
    for (const { scene, captions } of all) {
      const colors = new Set(scene.objects.map((o) => o.color));
      const shapes = new Set(scene.objects.map((o) => o.shape));
      for (const c of captions) {
        const named = c.tokens.filter((t) => t in EN_COLORS).map((t) => EN_COLORS[t]!);
        for (const color of named) expect(colors, `${c.raw}`).toContain(color);
        for (const t of c.tokens.filter((w) => w in EN_SHAPES)) expect(shapes, c.raw).toContain(EN_SHAPES[t]);
      }
      const mentioned = new Set(captions.flatMap((c) => c.tokens.filter((t) => t in EN_COLORS)));
      expect(mentioned.size).toBeGreaterThan(0);
    }
  });

  it('state the right number of shapes', () => {
    for (const { scene, captions } of all) {
      for (const c of captions) {
        const i = c.tokens.indexOf('shapes');
        const before = c.tokens[i - 1];
        if (i > 0 && before !== undefined && before in EN_COUNTS && c.tokens[i - 2] !== 'of') {
          expect(EN_COUNTS[before], c.raw).toBe(scene.objects.length);
        }
      }
    }
  });

  it('use only relation words of the right axis for two shapes', () => {
    for (const { scene, captions } of all.filter((x) => x.scene.objects.length === 2)) {
      const rel = spatialRelation(scene.objects[0]!, scene.objects[1]!);
      const horizontal = rel === 'left' || rel === 'right';
      for (const c of captions) {
        const words = new Set(c.tokens);
        const vertical = ['above', 'below', 'under', 'over', 'beneath', 'top', 'bottom'].some((w) => words.has(w));
        const side = ['left', 'right', 'beside', 'next', 'side'].some((w) => words.has(w));
        if (horizontal) expect(vertical, c.raw).toBe(false);
        else expect(side, c.raw).toBe(false);
      }
    }
  });

  it('give five distinct, well-formed sentences per image with a varied vocabulary', () => {
    const vocabulary = new Set<string>();
    let distinct = 0;
    for (const { captions } of all) {
      expect(captions).toHaveLength(5);
      distinct += new Set(captions.map((c) => c.raw)).size;
      for (const c of captions) {
        expect(c.raw).toMatch(/^[A-Z][a-z ,:]+\.$/);
        expect(c.tokens.join(' ')).toBe(c.raw.slice(0, -1).toLowerCase().replace(/[,:]/g, '').replace(/ +/g, ' '));
        c.tokens.forEach((t) => vocabulary.add(t));
      }
    }
    expect(distinct / all.length).toBeGreaterThan(4.9);
    expect(vocabulary.size).toBeGreaterThan(60);
  });
});

describe('Chinese captions', () => {
  const all = scenes.map((s, i) => ({ scene: s, captions: sampleCaptions(chineseGrammar, s, new Random(i), 5) }));

  it('are written in Chinese, segmented into words that spell the sentence', () => {
    for (const { captions } of all) {
      for (const c of captions) {
        expect(c.raw).toMatch(/^[\u4e00-\u9fff，：、]+$/u);
        expect(c.tokens.join('')).toBe(c.raw.replace(/[，：、]/g, ''));
        expect(c.tokens.every((t) => t.length >= 1 && t.length <= 4)).toBe(true);
      }
    }
  });

  it('name only colours and shapes that are drawn', () => {
    for (const { scene, captions } of all) {
      const colors = new Set(scene.objects.map((o) => o.color));
      const shapes = new Set(scene.objects.map((o) => o.shape));
      for (const c of captions) {
        for (const t of c.tokens.filter((w) => w in ZH_COLORS)) expect(colors, c.raw).toContain(ZH_COLORS[t]);
        for (const t of c.tokens.filter((w) => w in ZH_SHAPES)) expect(shapes, c.raw).toContain(ZH_SHAPES[t]);
      }
    }
  });

  it('use the classifier 颗 for stars only, and left/right words only for side-by-side pairs', () => {
    for (const { scene, captions } of all) {
      for (const c of captions) {
        c.tokens.forEach((t, i) => {
          if (!/^[一两三四]颗$/.test(t)) return;
          // the noun it counts: the next shape word, or the one before for `两颗星星，一颗是…`
          const noun =
            c.tokens.slice(i + 1).find((w) => w in ZH_SHAPES) ??
            c.tokens
              .slice(0, i)
              .reverse()
              .find((w) => w in ZH_SHAPES);
          expect(noun === undefined ? undefined : ZH_SHAPES[noun], c.raw).toBe('star');
        });
        if (c.tokens.some((t) => t.endsWith('颗'))) expect(scene.objects.some((o) => o.shape === 'star')).toBe(true);
      }
      if (scene.objects.length !== 2) continue;
      const rel = spatialRelation(scene.objects[0]!, scene.objects[1]!);
      const horizontal = rel === 'left' || rel === 'right';
      for (const c of captions) {
        const vertical = /上方|上面|上边|下方|下面|下边|上下/.test(c.raw);
        const side = /左边|左侧|右边|右侧|左右/.test(c.raw);
        expect(horizontal ? vertical : side, c.raw).toBe(false);
      }
    }
  });
});
