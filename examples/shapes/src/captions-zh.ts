/**
 * The Chinese caption grammar. It is written for Chinese, not translated from the English one: locative
 * sentences put the reference first (`蓝色正方形的左边有一个红色的圆`) or use `在…的左边`, subjects of
 * locative sentences are definite (no `一个`), stars take the classifier `颗`, enumerations use `、`,
 * identical pairs use idioms such as `一大一小` and `左右并排`, and counts use `其中`. A caption's `tokens`
 * here are the grammar's own words, punctuation removed; the data set file re-segments `raw` with jieba
 * (see `buildKarpathyDataset`), which agrees with these words on 72 % of the sentences (`scripts/dataset-stats.ts`).
 */
import type { Random } from '@caption/core';
import {
  joinList,
  onlyObject,
  onlyPair,
  orientPair,
  pairSides,
  type CaptionGrammar,
  type CaptionTemplate,
  type SceneFacts,
} from './caption-grammar';
import {
  gridCell,
  pick,
  type BackgroundTone,
  type ColorName,
  type SceneObject,
  type ShapeName,
  type SpatialRelation,
} from './scene';

/** `A、B和C`. */
function list(items: readonly string[][]): string[] {
  return joinList(items, '、', '和');
}

const COLOR_WORDS: Readonly<Record<ColorName, string>> = {
  red: '红色',
  green: '绿色',
  blue: '蓝色',
  yellow: '黄色',
  purple: '紫色',
  orange: '橙色',
};

const SHAPE_WORDS: Readonly<Record<ShapeName, readonly string[]>> = {
  circle: ['圆形', '圆形', '圆', '圆圈'],
  square: ['正方形', '正方形', '方块', '方形'],
  triangle: ['三角形'],
  star: ['星形', '五角星', '星星'],
  diamond: ['菱形'],
};

const TONE_WORDS: Readonly<Record<BackgroundTone, readonly string[]>> = {
  light: ['浅色', '浅色', '淡色'],
  dark: ['深色', '深色', '暗色'],
};

/** Where something is relative to a reference: `在X的左边`. */
const SIDE_WORDS: Readonly<Record<SpatialRelation, readonly string[]>> = {
  left: ['左边', '左边', '左侧'],
  right: ['右边', '右边', '右侧'],
  above: ['上方', '上面', '上边'],
  below: ['下方', '下面', '下边'],
};

const POSITION_WORDS: ReadonlyArray<ReadonlyArray<readonly string[]>> = [
  [['左上角'], ['上方', '上部'], ['右上角']],
  [
    ['左侧', '左边'],
    ['中间', '中央'],
    ['右侧', '右边'],
  ],
  [['左下角'], ['下方', '下部'], ['右下角']],
];

const EXTREME_WORDS: Readonly<Record<SpatialRelation, readonly string[]>> = {
  left: ['最左边'],
  right: ['最右边'],
  above: ['最上面', '最上方'],
  below: ['最下面', '最下方'],
};

const PLACE_WORDS = ['图中', '画面中', '图片里'] as const;
const COUNTS = ['零', '一', '两', '三', '四'] as const;

function numeral(n: number): string {
  const w = COUNTS[n];
  if (w === undefined) throw new RangeError(`no numeral for ${n}`);
  return w;
}

/** Number and classifier as one word (`两个`, `一颗`), as jieba segments them. */
function countWord(n: number, shapeWord?: string): string {
  return `${numeral(n)}${classifier(shapeWord)}`;
}

/** The classifier of a shape word: `颗` for stars, `个` otherwise. */
function classifier(shapeWord?: string): string {
  return shapeWord === '星星' || shapeWord === '五角星' ? '颗' : '个';
}

interface NounOptions {
  /** `一个` / `一颗` in front (default true) */
  quantified?: boolean;
  /** a possessor (`…的左边`): no `的` between colour and a two-syllable noun, to avoid `的…的` */
  possessor?: boolean;
  /** probability of naming the size (default 0.5) */
  sizeProbability?: number;
}

/** `一个红色的圆`, `红色的小圆`, `一个大的蓝色方块`, `一颗黄色的星星`. */
function nounPhrase(o: SceneObject, rng: Random, options: NounOptions = {}): string[] {
  const shape = pick(rng, SHAPE_WORDS[o.shape]);
  const color = COLOR_WORDS[o.color];
  const size = o.size === 'small' ? '小' : '大';
  const singleSyllable = shape.length === 1;
  let words: string[];
  if (rng.next() < (options.sizeProbability ?? 0.5)) {
    // 红色的小圆 / 小的红色圆形 (a bare one-syllable noun after 色 reads badly, so 圆 keeps the first form)
    words = singleSyllable || rng.next() < 0.6 ? [color, '的', size, shape] : [size, '的', color, shape];
  } else {
    words = singleSyllable || (options.possessor !== true && rng.next() < 0.6) ? [color, '的', shape] : [color, shape];
  }
  return options.quantified === false ? words : [countWord(1, shape), ...words];
}

function position(f: SceneFacts, o: SceneObject, rng: Random): string {
  const { row, col } = gridCell(o, f.scene.size);
  return pick(rng, POSITION_WORDS[row]?.[col] ?? ['中间']);
}

/** `X在Y的左边`: X (definite) is left of Y. */
function locative(x: SceneObject, y: SceneObject, rel: SpatialRelation, rng: Random): string[] {
  return [
    ...nounPhrase(x, rng, { quantified: false }),
    pick(rng, ['在', '在', '位于']),
    ...nounPhrase(y, rng, { quantified: false, possessor: true }),
    '的',
    pick(rng, SIDE_WORDS[rel]),
  ];
}

// ----- one object -----

const single: CaptionTemplate[] = [
  (f, rng) => nounPhrase(onlyObject(f), rng),
  (f, rng) => [pick(rng, TONE_WORDS[f.scene.background.tone]), '背景', '上', '有', ...nounPhrase(onlyObject(f), rng)],
  (f, rng) => [pick(rng, PLACE_WORDS), '只有', ...nounPhrase(onlyObject(f), rng)],
  (f, rng) => ['画面', position(f, onlyObject(f), rng), '有', ...nounPhrase(onlyObject(f), rng)],
  (f, rng) => [
    ...nounPhrase(onlyObject(f), rng, { quantified: false }),
    '位于',
    '画面',
    position(f, onlyObject(f), rng),
  ],
  (f, rng) => ['这', '是', ...nounPhrase(onlyObject(f), rng)],
];

// ----- two different objects -----

const pair: CaptionTemplate[] = [
  (f, rng) => {
    const p = onlyPair(f);
    if (p === null) return null;
    const { x, y, rel } = orientPair(p, rng);
    return locative(x, y, rel, rng);
  },
  (f, rng) => {
    // 蓝色正方形的左边有一个红色的圆
    const p = onlyPair(f);
    if (p === null) return null;
    const { x, y, rel } = orientPair(p, rng);
    return [
      ...nounPhrase(y, rng, { quantified: false, possessor: true }),
      '的',
      pick(rng, SIDE_WORDS[rel]),
      '有',
      ...nounPhrase(x, rng),
    ];
  },
  (f, rng) => {
    // 左边是一个红色的圆，右边是一个蓝色的正方形
    const p = onlyPair(f);
    if (p === null) return null;
    const { axis, first, second } = pairSides(p);
    const [w1, w2] = axis === 'horizontal' ? ['左边', '右边'] : ['上面', '下面'];
    return [w1, '是', ...nounPhrase(first, rng), '，', w2, '是', ...nounPhrase(second, rng)];
  },
  (f, rng) => {
    const p = onlyPair(f);
    if (p === null) return null;
    const { first, second } = pairSides(p);
    return [
      pick(rng, PLACE_WORDS),
      '有',
      countWord(2),
      '图形',
      '：',
      ...nounPhrase(first, rng),
      '和',
      ...nounPhrase(second, rng),
    ];
  },
  (f, rng) => {
    // 红色的圆和蓝色的正方形左右并排
    const p = onlyPair(f);
    if (p === null) return null;
    const { axis, first, second } = pairSides(p);
    const arrangement = axis === 'horizontal' ? ['左右', '并排'] : ['上下', '排列'];
    return [
      ...nounPhrase(first, rng, { quantified: false }),
      '和',
      ...nounPhrase(second, rng, { quantified: false }),
      ...arrangement,
    ];
  },
  (f, rng) => {
    // 一个红色的圆，它的右边是一个蓝色的正方形
    const p = onlyPair(f);
    if (p === null) return null;
    const { x, y, rel } = orientPair(p, rng);
    return [...nounPhrase(y, rng), '，', '它', '的', pick(rng, SIDE_WORDS[rel]), '是', ...nounPhrase(x, rng)];
  },
  (f, rng) => {
    const p = onlyPair(f);
    if (p === null) return null;
    const { first, second } = pairSides(p);
    if (first.color === second.color) {
      // 两个红色的图形：一个圆形和一个三角形
      const s1 = pick(rng, SHAPE_WORDS[first.shape]);
      const s2 = pick(rng, SHAPE_WORDS[second.shape]);
      return [
        countWord(2),
        COLOR_WORDS[first.color],
        '的',
        '图形',
        '：',
        countWord(1, s1),
        s1,
        '和',
        countWord(1, s2),
        s2,
      ];
    }
    if (first.shape === second.shape) {
      // 两个圆形，一个是红色的，另一个是蓝色的
      const s = pick(rng, SHAPE_WORDS[first.shape]);
      const c = classifier(s);
      return [
        countWord(2, s),
        s,
        '，',
        `一${c}`,
        '是',
        COLOR_WORDS[first.color],
        '的',
        '，',
        `另一${c}`,
        '是',
        COLOR_WORDS[second.color],
        '的',
      ];
    }
    return null;
  },
];

// ----- two objects of the same colour and shape -----

const identicalPair: CaptionTemplate[] = [
  (f, rng) => {
    // 两个红色的圆形左右并排
    const p = onlyPair(f);
    if (p === null) return null;
    const { axis } = pairSides(p);
    const s = pick(rng, SHAPE_WORDS[p.a.shape]);
    return [
      countWord(2, s),
      COLOR_WORDS[p.a.color],
      '的',
      s,
      ...(axis === 'horizontal' ? ['左右', '并排'] : ['上下', '排列']),
    ];
  },
  (f, rng) => {
    const p = onlyPair(f);
    if (p === null) return null;
    const s = pick(rng, SHAPE_WORDS[p.a.shape]);
    return [pick(rng, PLACE_WORDS), '有', countWord(2, s), COLOR_WORDS[p.a.color], '的', s];
  },
  (f, rng) => {
    const p = onlyPair(f);
    if (p === null) return null;
    const s = pick(rng, SHAPE_WORDS[p.a.shape]);
    return [
      pick(rng, TONE_WORDS[f.scene.background.tone]),
      '背景',
      '上',
      '有',
      countWord(2, s),
      COLOR_WORDS[p.a.color],
      '的',
      s,
    ];
  },
  (f, rng) => {
    // 一大一小两个红色的圆形 / 两个一样大的红色圆形
    const p = onlyPair(f);
    if (p === null) return null;
    const s = pick(rng, SHAPE_WORDS[p.a.shape]);
    if (p.a.size !== p.b.size) return ['一', '大', '一', '小', countWord(2, s), COLOR_WORDS[p.a.color], '的', s];
    return [countWord(2, s), '一样', '大', '的', COLOR_WORDS[p.a.color], s];
  },
  (f, rng) => {
    // 一个红色的圆在另一个的左边
    const p = onlyPair(f);
    if (p === null) return null;
    const { x, rel } = orientPair(p, rng);
    const words = nounPhrase(x, rng);
    const shape = words[words.length - 1];
    return [...words, '在', `另一${classifier(shape)}`, '的', pick(rng, SIDE_WORDS[rel])];
  },
];

// ----- three or four objects -----

function groupPhrases(f: SceneFacts, rng: Random): string[][] {
  return f.groups.map((g) => {
    const [one] = g.members;
    if (g.members.length === 1 && one !== undefined) return nounPhrase(one, rng);
    const s = pick(rng, SHAPE_WORDS[g.shape]);
    return [countWord(g.members.length, s), COLOR_WORDS[g.color], '的', s];
  });
}

const many: CaptionTemplate[] = [
  (f, rng) => [
    pick(rng, PLACE_WORDS),
    '有',
    countWord(f.ordered.length),
    '图形',
    '：',
    ...list(f.ordered.map((o) => nounPhrase(o, rng))),
  ],
  (f, rng) => list(groupPhrases(f, rng)),
  (f, rng) => {
    // 红色的圆在蓝色正方形的左边，旁边还有一颗绿色的星星
    if (f.pairs.length === 0) return null;
    const p = pick(rng, f.pairs);
    const { x, y, rel } = orientPair(p, rng);
    const rest = f.ordered.filter((o) => o !== p.a && o !== p.b).map((o) => nounPhrase(o, rng));
    return [...locative(x, y, rel, rng), '，', '旁边', '还有', ...list(rest)];
  },
  (f, rng) => {
    // 最左边的是一个红色的圆
    const dirs = (['left', 'right', 'above', 'below'] as const).filter((d) => f.extremes[d] !== undefined);
    if (dirs.length === 0) return null;
    const dir = pick(rng, dirs);
    return [pick(rng, EXTREME_WORDS[dir]), '的', '是', ...nounPhrase(f.extremes[dir] as SceneObject, rng)];
  },
  (f, rng) => {
    // 四个图形，其中两个是红色的 / 三个图形，颜色各不相同
    const n = f.ordered.length;
    const byColor = new Map<ColorName, number>();
    for (const o of f.ordered) byColor.set(o.color, (byColor.get(o.color) ?? 0) + 1);
    const shared = [...byColor].filter(([, k]) => k >= 2);
    if (shared.length === 0) return [countWord(n), '图形', '，', '颜色', '各不相同'];
    const [color, k] = pick(rng, shared);
    if (k === n) return [countWord(n), '图形', '，', '都', '是', COLOR_WORDS[color], '的'];
    return [countWord(n), '图形', '，', '其中', countWord(k), '是', COLOR_WORDS[color], '的'];
  },
  (f, rng) => [pick(rng, TONE_WORDS[f.scene.background.tone]), '背景', '上', '有', countWord(f.ordered.length), '图形'],
  (f, rng) => {
    if (f.pairs.length === 0) return null;
    const { x, y, rel } = orientPair(pick(rng, f.pairs), rng);
    return locative(x, y, rel, rng);
  },
];

const PUNCTUATION: ReadonlySet<string> = new Set(['，', '：', '、']);

/** The Chinese grammar. `raw` is the words written without spaces; tokens are the words, punctuation removed. */
export const chineseGrammar: CaptionGrammar = {
  single,
  pair,
  identicalPair,
  many,
  punctuation: PUNCTUATION,
  write: (words) => words.join(''),
};
