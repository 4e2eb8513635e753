/**
 * The machinery shared by the English and Chinese caption grammars: the facts a caption may state about a
 * scene (reading order, clear pairwise relations, groups of identical shapes, extremes), the template type,
 * and the sampler that draws several distinct captions per image.
 */
import type { Random } from '@caption/core';
import {
  extremeObject,
  inverseRelation,
  spatialRelation,
  type ColorName,
  type Scene,
  type SceneObject,
  type ShapeName,
  type SpatialRelation,
} from './scene';

/** Caption languages. */
export type CaptionLanguage = 'en' | 'zh';

/** One caption: the sentence as written and its tokens (lower-case words, punctuation removed). */
export interface Caption {
  /** the sentence as written */
  raw: string;
  /** the words, as in the Karpathy split files (English lower-cased, Chinese segmented into words) */
  tokens: string[];
}

/** A clearly stated pairwise relation: `a` is `relation` of `b`. */
export interface ScenePair {
  /** subject */
  a: SceneObject;
  /** reference object */
  b: SceneObject;
  /** where `a` is relative to `b` */
  relation: SpatialRelation;
}

/** Objects of one colour and shape. */
export interface ShapeGroup {
  /** colour class */
  color: ColorName;
  /** shape class */
  shape: ShapeName;
  /** the objects, in reading order */
  members: SceneObject[];
}

/** What a caption may state about a scene, computed once per scene. */
export interface SceneFacts {
  /** the scene */
  scene: Scene;
  /** objects in reading order (left to right) */
  ordered: SceneObject[];
  /** every pair (in reading order) whose relation is clear */
  pairs: ScenePair[];
  /** objects grouped by colour and shape, groups in reading order of their first member */
  groups: ShapeGroup[];
  /** for each direction, the object clearly extreme in it, when there is one */
  extremes: Partial<Record<SpatialRelation, SceneObject>>;
}

/**
 * A caption template: the words of one sentence (punctuation as separate words) for a scene, choosing
 * synonyms with `rng`, or `null` when the template does not apply to this scene.
 */
export type CaptionTemplate = (facts: SceneFacts, rng: Random) => string[] | null;

/** The templates of one language, by kind of scene. */
export interface CaptionGrammar {
  /** scenes with one object */
  single: readonly CaptionTemplate[];
  /** two objects of different colour or shape */
  pair: readonly CaptionTemplate[];
  /** two objects of the same colour and shape */
  identicalPair: readonly CaptionTemplate[];
  /** three or four objects */
  many: readonly CaptionTemplate[];
  /** punctuation words (kept in `raw`, dropped from `tokens`) */
  punctuation: ReadonlySet<string>;
  /** turns the words of a sentence into the written sentence */
  write(words: readonly string[]): string;
}

/** Computes the facts of a scene. */
export function sceneFacts(scene: Scene): SceneFacts {
  const ordered = [...scene.objects].sort((p, q) => p.center[0] - q.center[0] || p.center[1] - q.center[1]);
  const pairs: ScenePair[] = [];
  for (let i = 0; i < ordered.length; i++) {
    for (let j = i + 1; j < ordered.length; j++) {
      const a = ordered[i] as SceneObject;
      const b = ordered[j] as SceneObject;
      const relation = spatialRelation(a, b);
      if (relation !== null) pairs.push({ a, b, relation });
    }
  }
  const groups: ShapeGroup[] = [];
  for (const o of ordered) {
    const g = groups.find((x) => x.color === o.color && x.shape === o.shape);
    if (g === undefined) groups.push({ color: o.color, shape: o.shape, members: [o] });
    else g.members.push(o);
  }
  const extremes: Partial<Record<SpatialRelation, SceneObject>> = {};
  for (const dir of ['left', 'right', 'above', 'below'] as const) {
    const i = extremeObject(scene.objects, dir, scene.size);
    if (i !== null) extremes[dir] = scene.objects[i] as SceneObject;
  }
  return { scene, ordered, pairs, groups, extremes };
}

/** The templates of a grammar that fit a scene's kind. */
export function templatesFor(grammar: CaptionGrammar, facts: SceneFacts): readonly CaptionTemplate[] {
  const n = facts.ordered.length;
  if (n === 1) return grammar.single;
  if (n === 2) return facts.groups.length === 1 ? grammar.identicalPair : grammar.pair;
  return grammar.many;
}

/** Turns a sentence's words into a {@link Caption}. */
export function finishCaption(grammar: CaptionGrammar, words: readonly string[]): Caption {
  return {
    raw: grammar.write(words),
    tokens: words.filter((w) => !grammar.punctuation.has(w)).map((w) => w.toLowerCase()),
  };
}

/**
 * Draws `count` distinct captions for a scene: templates are visited in a random order (each used once
 * before any is reused), each with fresh synonym choices, and a sentence already drawn is redrawn.
 * When the scene admits fewer distinct sentences than asked, the list is completed with repeats.
 */
export function sampleCaptions(grammar: CaptionGrammar, scene: Scene, rng: Random, count: number): Caption[] {
  const facts = sceneFacts(scene);
  const templates = templatesFor(grammar, facts);
  const captions: Caption[] = [];
  const seen = new Set<string>();
  let order: CaptionTemplate[] = [];
  for (let attempt = 0; captions.length < count && attempt < count * 20; attempt++) {
    if (order.length === 0) order = shuffled(rng, templates);
    const template = order.pop() as CaptionTemplate;
    const words = template(facts, rng);
    if (words === null) continue;
    const caption = finishCaption(grammar, words);
    if (seen.has(caption.raw)) continue;
    seen.add(caption.raw);
    captions.push(caption);
  }
  if (captions.length === 0)
    throw new Error(`sampleCaptions: no template applies to a scene with ${scene.objects.length} objects`);
  for (let i = 0; captions.length < count; i++) captions.push(captions[i % captions.length] as Caption);
  return captions;
}

/** A shuffled copy (the generator's Fisher–Yates). */
export function shuffled<T>(rng: Random, items: readonly T[]): T[] {
  return rng.shuffle([...items]);
}

/** The pair of objects left-to-right or top-to-bottom for a clear pair, with its axis. */
export function pairSides(pair: ScenePair): {
  axis: 'horizontal' | 'vertical';
  first: SceneObject;
  second: SceneObject;
} {
  const { a, b, relation } = pair;
  switch (relation) {
    case 'left':
      return { axis: 'horizontal', first: a, second: b };
    case 'right':
      return { axis: 'horizontal', first: b, second: a };
    case 'above':
      return { axis: 'vertical', first: a, second: b };
    case 'below':
      return { axis: 'vertical', first: b, second: a };
  }
}

/** A clear pair as subject `x`, reference `y` and the relation of `x` to `y`, in either order (one draw). */
export function orientPair(pair: ScenePair, rng: Random): { x: SceneObject; y: SceneObject; rel: SpatialRelation } {
  return rng.next() < 0.5
    ? { x: pair.a, y: pair.b, rel: pair.relation }
    : { x: pair.b, y: pair.a, rel: inverseRelation(pair.relation) };
}

/** The pair of a two-object scene (always clear), or `null` for other scenes. */
export function onlyPair(facts: SceneFacts): ScenePair | null {
  return facts.pairs.length === 1 && facts.ordered.length === 2 ? (facts.pairs[0] ?? null) : null;
}

/** The first object in reading order (the only one of a one-object scene). */
export function onlyObject(facts: SceneFacts): SceneObject {
  const o = facts.ordered[0];
  if (o === undefined) throw new RangeError('scene has no object');
  return o;
}

/** Items joined as a list: `a <separator> b <lastSeparator> c` ("a, b and c"; "A、B和C"). */
export function joinList(items: readonly string[][], separator: string, lastSeparator: string): string[] {
  const out: string[] = [];
  items.forEach((item, i) => {
    if (i > 0) out.push(i === items.length - 1 ? lastSeparator : separator);
    out.push(...item);
  });
  return out;
}
