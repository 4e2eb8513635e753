/**
 * The English caption grammar: noun phrases with optional size and shape synonyms, relation phrases with
 * synonyms, and sentence templates with varied word order (relation first or last, existential "there is",
 * enumerations, counts, extremes).
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
  type ScenePair,
} from './caption-grammar';
import {
  gridCell,
  pick,
  type BackgroundTone,
  type SceneObject,
  type ShapeName,
  type SizeName,
  type SpatialRelation,
} from './scene';

/** "a, b and c". */
function list(items: readonly string[][]): string[] {
  return joinList(items, ',', 'and');
}

/** Shape words, [singular, plural]; the first is the usual one and is listed twice to be drawn more often. */
const SHAPE_WORDS: Readonly<Record<ShapeName, ReadonlyArray<readonly [string, string]>>> = {
  circle: [
    ['circle', 'circles'],
    ['circle', 'circles'],
    ['disc', 'discs'],
  ],
  square: [
    ['square', 'squares'],
    ['square', 'squares'],
    ['block', 'blocks'],
  ],
  triangle: [['triangle', 'triangles']],
  star: [['star', 'stars']],
  diamond: [
    ['diamond', 'diamonds'],
    ['diamond', 'diamonds'],
    ['rhombus', 'rhombuses'],
  ],
};

const SIZE_WORDS: Readonly<Record<SizeName, readonly string[]>> = {
  small: ['small', 'small', 'little', 'tiny'],
  large: ['large', 'large', 'big'],
};

const TONE_WORDS: Readonly<Record<BackgroundTone, readonly string[]>> = {
  light: ['light', 'light', 'pale'],
  dark: ['dark', 'dark', 'black'],
};

const RELATION_WORDS: Readonly<Record<SpatialRelation, ReadonlyArray<readonly string[]>>> = {
  left: [
    ['to', 'the', 'left', 'of'],
    ['left', 'of'],
    ['on', 'the', 'left', 'of'],
  ],
  right: [
    ['to', 'the', 'right', 'of'],
    ['right', 'of'],
    ['on', 'the', 'right', 'of'],
  ],
  above: [['above'], ['above'], ['over']],
  below: [['below'], ['under'], ['beneath']],
};

/** "with X to its left": where the subject is, seen from the reference object. */
const SIDE_WORDS: Readonly<Record<SpatialRelation, ReadonlyArray<readonly string[]>>> = {
  left: [
    ['to', 'its', 'left'],
    ['on', 'its', 'left'],
  ],
  right: [
    ['to', 'its', 'right'],
    ['on', 'its', 'right'],
  ],
  above: [['above', 'it']],
  below: [
    ['below', 'it'],
    ['under', 'it'],
  ],
};

const POSITION_WORDS: ReadonlyArray<ReadonlyArray<ReadonlyArray<readonly string[]>>> = [
  [[['in', 'the', 'top', 'left', 'corner']], [['at', 'the', 'top']], [['in', 'the', 'top', 'right', 'corner']]],
  [
    [['on', 'the', 'left']],
    [
      ['in', 'the', 'middle'],
      ['in', 'the', 'centre'],
    ],
    [['on', 'the', 'right']],
  ],
  [
    [['in', 'the', 'bottom', 'left', 'corner']],
    [['at', 'the', 'bottom']],
    [['in', 'the', 'bottom', 'right', 'corner']],
  ],
];

const COUNT_WORDS = ['zero', 'one', 'two', 'three', 'four'] as const;

const EXTREME_WORDS: Readonly<Record<SpatialRelation, ReadonlyArray<readonly string[]>>> = {
  left: [
    ['the', 'leftmost', 'shape', 'is'],
    ['on', 'the', 'far', 'left', 'is'],
  ],
  right: [
    ['the', 'rightmost', 'shape', 'is'],
    ['on', 'the', 'far', 'right', 'is'],
  ],
  above: [
    ['the', 'topmost', 'shape', 'is'],
    ['the', 'highest', 'shape', 'is'],
  ],
  below: [
    ['the', 'lowest', 'shape', 'is'],
    ['the', 'bottom', 'shape', 'is'],
  ],
};

function countWord(n: number): string {
  const w = COUNT_WORDS[n];
  if (w === undefined) throw new RangeError(`no count word for ${n}`);
  return w;
}

function withArticle(words: string[]): string[] {
  const first = words[0] ?? '';
  return [/^[aeiou]/.test(first) ? 'an' : 'a', ...words];
}

interface NounOptions {
  /** `a`/`an` in front (default true) */
  article?: boolean;
  /** probability of naming the size (default 0.5) */
  sizeProbability?: number;
  /** plural shape word */
  plural?: boolean;
}

function shapeWord(shape: ShapeName, rng: Random, plural = false): string {
  const [singular, many] = pick(rng, SHAPE_WORDS[shape]);
  return plural ? many : singular;
}

/** "a small red circle", "a blue block", "an orange star". */
function nounPhrase(o: SceneObject, rng: Random, options: NounOptions = {}): string[] {
  const words: string[] = [];
  if (rng.next() < (options.sizeProbability ?? 0.5)) words.push(pick(rng, SIZE_WORDS[o.size]));
  words.push(o.color, shapeWord(o.shape, rng, options.plural));
  return options.article === false ? words : withArticle(words);
}

function tone(facts: SceneFacts, rng: Random): string {
  return pick(rng, TONE_WORDS[facts.scene.background.tone]);
}

// ----- one object -----

const single: CaptionTemplate[] = [
  (f, rng) => nounPhrase(onlyObject(f), rng),
  (f, rng) => ['there', 'is', ...nounPhrase(onlyObject(f), rng), 'on', 'a', tone(f, rng), 'background'],
  (f, rng) => {
    const o = onlyObject(f);
    const { row, col } = gridCell(o, f.scene.size);
    return [...nounPhrase(o, rng), ...pick(rng, POSITION_WORDS[row]?.[col] ?? [])];
  },
  (f, rng) => [
    'a',
    'single',
    ...nounPhrase(onlyObject(f), rng, { article: false }),
    'on',
    'a',
    tone(f, rng),
    'background',
  ],
  (f, rng) =>
    pick(rng, [
      ['the', 'image', 'shows', ...nounPhrase(onlyObject(f), rng)],
      ['a', 'picture', 'of', ...nounPhrase(onlyObject(f), rng)],
      ['only', 'one', 'shape', ':', ...nounPhrase(onlyObject(f), rng)],
    ]),
];

// ----- two different objects -----

const pair: CaptionTemplate[] = [
  (f, rng) => {
    const p = onlyPair(f);
    if (p === null) return null;
    const { x, y, rel } = orientPair(p, rng);
    return [...nounPhrase(x, rng), ...pick(rng, RELATION_WORDS[rel]), ...nounPhrase(y, rng)];
  },
  (f, rng) => {
    const p = onlyPair(f);
    if (p === null) return null;
    const { x, y, rel } = orientPair(p, rng);
    return ['there', 'is', ...nounPhrase(x, rng), ...pick(rng, RELATION_WORDS[rel]), ...nounPhrase(y, rng)];
  },
  (f, rng) => {
    const p = onlyPair(f);
    if (p === null) return null;
    const { x, y, rel } = orientPair(p, rng);
    return [
      ...nounPhrase(x, rng),
      pick(rng, ['is', 'is', 'sits']),
      ...pick(rng, RELATION_WORDS[rel]),
      ...nounPhrase(y, rng),
    ];
  },
  (f, rng) => {
    const p = onlyPair(f);
    if (p === null) return null;
    const { first, second } = pairSides(p);
    return ['two', 'shapes', ':', ...nounPhrase(first, rng), 'and', ...nounPhrase(second, rng)];
  },
  (f, rng) => {
    const p = onlyPair(f);
    if (p === null) return null;
    const { axis, first, second } = pairSides(p);
    return axis === 'horizontal'
      ? [...nounPhrase(first, rng), 'on', 'the', 'left', 'and', ...nounPhrase(second, rng), 'on', 'the', 'right']
      : [...nounPhrase(first, rng), 'at', 'the', 'top', 'and', ...nounPhrase(second, rng), 'at', 'the', 'bottom'];
  },
  (f, rng) => {
    const p = onlyPair(f);
    if (p === null) return null;
    const { x, y, rel } = orientPair(p, rng);
    return [...nounPhrase(y, rng), 'with', ...nounPhrase(x, rng), ...pick(rng, SIDE_WORDS[rel])];
  },
  (f, rng) => {
    const p = onlyPair(f);
    if (p === null) return null;
    const { axis, first, second } = pairSides(p);
    if (axis === 'horizontal') {
      const { x, y } = orientPair(p, rng);
      return [...nounPhrase(x, rng), ...pick(rng, [['next', 'to'], ['beside']]), ...nounPhrase(y, rng)];
    }
    return [...nounPhrase(first, rng), 'and', ...nounPhrase(second, rng), 'one', 'above', 'the', 'other'];
  },
  (f, rng) => {
    const p = onlyPair(f);
    if (p === null) return null;
    const { first, second } = pairSides(p);
    if (first.color === second.color) {
      return [
        'two',
        first.color,
        'shapes',
        ':',
        ...withArticle([shapeWord(first.shape, rng)]),
        'and',
        ...withArticle([shapeWord(second.shape, rng)]),
      ];
    }
    if (first.shape === second.shape) {
      return [
        'two',
        shapeWord(first.shape, rng, true),
        ':',
        ...withArticle([first.color, 'one']),
        'and',
        ...withArticle([second.color, 'one']),
      ];
    }
    return null;
  },
];

// ----- two objects of the same colour and shape -----

function identical(f: SceneFacts): { p: ScenePair; a: SceneObject; b: SceneObject } | null {
  const p = onlyPair(f);
  return p === null ? null : { p, a: p.a, b: p.b };
}

const identicalPair: CaptionTemplate[] = [
  (f, rng) => {
    const i = identical(f);
    if (i === null) return null;
    const { axis } = pairSides(i.p);
    const arrangement =
      axis === 'horizontal'
        ? pick(rng, [
            ['side', 'by', 'side'],
            ['next', 'to', 'each', 'other'],
          ])
        : ['one', 'above', 'the', 'other'];
    return ['two', i.a.color, shapeWord(i.a.shape, rng, true), ...arrangement];
  },
  (f, rng) => {
    const i = identical(f);
    if (i === null) return null;
    return ['there', 'are', 'two', i.a.color, shapeWord(i.a.shape, rng, true), 'on', 'a', tone(f, rng), 'background'];
  },
  (f, rng) => {
    const i = identical(f);
    if (i === null) return null;
    const { x, rel } = orientPair(i.p, rng);
    return [...nounPhrase(x, rng), ...pick(rng, RELATION_WORDS[rel]), 'another', x.color, shapeWord(x.shape, rng)];
  },
  (f, rng) => {
    const i = identical(f);
    if (i === null) return null;
    return ['a', 'pair', 'of', i.a.color, shapeWord(i.a.shape, rng, true)];
  },
  (f, rng) => {
    const i = identical(f);
    if (i === null) return null;
    const { x, y, rel } = orientPair(i.p, rng);
    if (x.size === y.size) return ['two', pick(rng, SIZE_WORDS[x.size]), x.color, shapeWord(x.shape, rng, true)];
    return [
      ...withArticle([pick(rng, SIZE_WORDS[x.size]), x.color, shapeWord(x.shape, rng)]),
      ...pick(rng, RELATION_WORDS[rel]),
      ...withArticle([pick(rng, SIZE_WORDS[y.size]), 'one']),
    ];
  },
  (f, rng) => {
    const i = identical(f);
    if (i === null) return null;
    return ['two', 'shapes', ':', 'both', i.a.color, shapeWord(i.a.shape, rng, true)];
  },
];

// ----- three or four objects -----

function groupPhrases(f: SceneFacts, rng: Random): string[][] {
  return f.groups.map((g) => {
    const [one] = g.members;
    if (g.members.length === 1 && one !== undefined) return nounPhrase(one, rng);
    return [countWord(g.members.length), g.color, shapeWord(g.shape, rng, true)];
  });
}

const many: CaptionTemplate[] = [
  (f, rng) => [countWord(f.ordered.length), 'shapes', ':', ...list(f.ordered.map((o) => nounPhrase(o, rng)))],
  (f, rng) => {
    const head = ['there', 'are', countWord(f.ordered.length), 'shapes', 'on', 'a', tone(f, rng), 'background'];
    return rng.next() < 0.5 ? head : [...head, ':', ...list(groupPhrases(f, rng))];
  },
  (f, rng) => list(groupPhrases(f, rng)),
  (f, rng) => {
    if (f.pairs.length === 0) return null;
    const p = pick(rng, f.pairs);
    const { x, y, rel } = orientPair(p, rng);
    const rest = f.ordered.filter((o) => o !== p.a && o !== p.b).map((o) => nounPhrase(o, rng));
    return [
      ...nounPhrase(x, rng),
      ...pick(rng, RELATION_WORDS[rel]),
      ...nounPhrase(y, rng),
      ',',
      ...pick(rng, [['plus'], ['and'], ['along', 'with']]),
      ...list(rest),
    ];
  },
  (f, rng) => {
    const dirs = (['left', 'right', 'above', 'below'] as const).filter((d) => f.extremes[d] !== undefined);
    if (dirs.length === 0) return null;
    const dir = pick(rng, dirs);
    const o = f.extremes[dir] as SceneObject;
    return [...pick(rng, EXTREME_WORDS[dir]), ...nounPhrase(o, rng)];
  },
  (f, rng) => {
    const n = f.ordered.length;
    const byColor = new Map<string, number>();
    for (const o of f.ordered) byColor.set(o.color, (byColor.get(o.color) ?? 0) + 1);
    const shared = [...byColor].filter(([, k]) => k >= 2);
    if (shared.length === 0)
      return [countWord(n), 'shapes', 'in', countWord(n), 'different', pick(rng, ['colours', 'colors'])];
    const [color, k] = pick(rng, shared);
    return [countWord(n), 'shapes', ',', k === n ? 'all' : countWord(k), 'of', 'them', color];
  },
  (f, rng) => {
    if (f.pairs.length === 0) return null;
    const { x, y, rel } = orientPair(pick(rng, f.pairs), rng);
    return [...nounPhrase(x, rng), ...pick(rng, RELATION_WORDS[rel]), ...nounPhrase(y, rng)];
  },
];

const PUNCTUATION: ReadonlySet<string> = new Set([',', ':']);

/** The English grammar. `raw` is capitalised and ends with a full stop; tokens are lower-case words. */
export const englishGrammar: CaptionGrammar = {
  single,
  pair,
  identicalPair,
  many,
  punctuation: PUNCTUATION,
  write(words) {
    let text = '';
    for (const w of words) text += PUNCTUATION.has(w) || text === '' ? w : ` ${w}`;
    return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
  },
};
