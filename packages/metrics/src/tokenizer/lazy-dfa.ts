/**
 * A longest-match scanner built from prioritised regular expressions, the way JFlex builds one: Thompson
 * NFA, then a DFA whose states are sets of NFA states. The DFA is built lazily (a state and a transition are
 * computed the first time the input reaches them, then cached), so start-up stays cheap while the scanning
 * loop does one table lookup per input code unit and never backtracks.
 *
 * @internal
 */
import { type CharSet, MAX_CODE_UNIT } from './char-set';
import { collectSets, UNBOUNDED, type Regex } from './regex';

/**
 * A partition of all code units into classes that no pattern can tell apart, so transitions are stored
 * per class rather than per code unit.
 */
export class CharClassPartition {
  /** Code unit → class id. */
  readonly classOf: Uint8Array | Uint16Array;
  /** Number of classes. */
  readonly size: number;
  private readonly masks = new Map<CharSet, Uint8Array>();
  /** Start of each elementary interval (plus a final 0x10000); every code unit of one interval has one class. */
  private readonly bounds: readonly number[];

  /** @param sets every character set the automata built on this partition will use */
  constructor(sets: Iterable<CharSet>) {
    const distinct = [...new Set(sets)];
    const cuts = new Set<number>([0, MAX_CODE_UNIT + 1]);
    for (const set of distinct) {
      for (const [lo, hi] of set.pairs()) {
        cuts.add(lo);
        cuts.add(hi + 1);
      }
    }
    const bounds = [...cuts].sort((a, b) => a - b);
    this.bounds = bounds;
    const intervalCount = bounds.length - 1;
    // Refine: intervals covered by exactly the same sets share a class. Each set splits the classes it
    // touches into "inside" (a fresh id) and "outside" (the old id); ids are then renumbered densely.
    const intervalClass = new Int32Array(intervalCount);
    let size = 1;
    const splitTo = new Int32Array(2 * intervalCount + 2);
    const dense = new Int32Array(2 * intervalCount + 2);
    for (const set of distinct) {
      splitTo.fill(-1, 0, size);
      let next = size;
      for (const [lo, hi] of set.pairs()) {
        for (let i = this.intervalIndex(lo); i < intervalCount && (bounds[i] as number) <= hi; i++) {
          const old = intervalClass[i] as number;
          let fresh = splitTo[old] as number;
          if (fresh < 0) {
            fresh = next++;
            splitTo[old] = fresh;
          }
          intervalClass[i] = fresh;
        }
      }
      dense.fill(-1, 0, next);
      size = 0;
      for (let i = 0; i < intervalCount; i++) {
        const c = intervalClass[i] as number;
        if (dense[c] === -1) dense[c] = size++;
        intervalClass[i] = dense[c] as number;
      }
    }
    this.size = size;
    this.classOf = size <= 256 ? new Uint8Array(MAX_CODE_UNIT + 1) : new Uint16Array(MAX_CODE_UNIT + 1);
    for (let i = 0; i < intervalCount; i++) {
      this.classOf.fill(intervalClass[i] as number, bounds[i] as number, bounds[i + 1] as number);
    }
  }

  /** Index of the elementary interval holding `code`. */
  private intervalIndex(code: number): number {
    const bounds = this.bounds;
    let lo = 0;
    let hi = bounds.length - 2;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((bounds[mid] as number) <= code) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** For each class, 1 when the class lies inside `set` (the set must be one given to the constructor). */
  mask(set: CharSet): Uint8Array {
    let mask = this.masks.get(set);
    if (mask === undefined) {
      mask = new Uint8Array(this.size);
      const bounds = this.bounds;
      for (const [lo, hi] of set.pairs()) {
        for (let i = this.intervalIndex(lo); i < bounds.length - 1 && (bounds[i] as number) <= hi; i++) {
          mask[this.classOf[bounds[i] as number] as number] = 1;
        }
      }
      this.masks.set(set, mask);
    }
    return mask;
  }
}

/** Collects the character sets of a list of patterns (to build a shared {@link CharClassPartition}). */
export function charSetsOf(patterns: readonly Regex[]): Set<CharSet> {
  const sets = new Set<CharSet>();
  for (const p of patterns) collectSets(p, sets);
  return sets;
}

/** Thompson NFA: each state has ε-successors and at most one character-set edge. */
class Nfa {
  readonly epsilon: number[][] = [];
  readonly edgeSet: (CharSet | null)[] = [];
  readonly edgeTo: number[] = [];
  readonly acceptRule: number[] = [];

  newState(): number {
    this.epsilon.push([]);
    this.edgeSet.push(null);
    this.edgeTo.push(-1);
    this.acceptRule.push(-1);
    return this.epsilon.length - 1;
  }

  /** Adds `re` between two fresh states; returns them. */
  build(re: Regex): [number, number] {
    const start = this.newState();
    const end = this.newState();
    this.wire(re, start, end);
    return [start, end];
  }

  private wire(re: Regex, from: number, to: number): void {
    switch (re.kind) {
      case 'set':
        this.edgeSet[from] = re.set;
        this.edgeTo[from] = to;
        return;
      case 'concat': {
        let at = from;
        for (const part of re.parts) {
          const [s, e] = this.build(part);
          (this.epsilon[at] as number[]).push(s);
          at = e;
        }
        (this.epsilon[at] as number[]).push(to);
        return;
      }
      case 'alt':
        for (const alternative of re.alternatives) {
          const [s, e] = this.build(alternative);
          (this.epsilon[from] as number[]).push(s);
          (this.epsilon[e] as number[]).push(to);
        }
        return;
      case 'repeat': {
        let at = from;
        for (let i = 0; i < re.min; i++) {
          const [s, e] = this.build(re.body);
          (this.epsilon[at] as number[]).push(s);
          at = e;
        }
        if (re.max === UNBOUNDED) {
          const [s, e] = this.build(re.body);
          (this.epsilon[at] as number[]).push(s, to);
          (this.epsilon[e] as number[]).push(s, to);
          return;
        }
        for (let i = re.min; i < re.max; i++) {
          const [s, e] = this.build(re.body);
          (this.epsilon[at] as number[]).push(s, to);
          at = e;
        }
        (this.epsilon[at] as number[]).push(to);
        return;
      }
    }
  }
}

/** Transition not computed yet. */
const UNKNOWN = -1;
/** The DFA state with no live NFA state: scanning stops there. */
export const DEAD = 0;

/**
 * A lazily built DFA recognising a prioritised list of patterns. {@link LazyDfa.longestMatch} returns, like a
 * JFlex scanner, the longest prefix that some pattern matches and, among the patterns matching that prefix,
 * the first one.
 */
export class LazyDfa {
  /** The class partition the transitions are indexed by. */
  readonly partition: CharClassPartition;
  /** Rule index accepted by the last match, or -1 when none matched. */
  matchedRule = -1;
  /** End (exclusive) of the last match. */
  matchEnd = 0;

  private readonly nfa = new Nfa();
  private readonly start: number;
  private readonly width: number;
  private readonly nfaMasks: (Uint8Array | null)[];
  /** `transitions[state * width + class]`: next state, or {@link UNKNOWN}. */
  private transitions: Int32Array;
  /** Accepted rule per DFA state, -1 for none. */
  private accepts: Int32Array;
  private stateCount = 0;
  private readonly stateMembers: Int32Array[] = [];
  /** DFA state ids by a hash of their (sorted) NFA members; collisions are resolved by comparing members. */
  private readonly stateIdsByHash = new Map<number, number[]>();
  /** ε-closure of each NFA state, restricted to states with an edge or an accept, computed on first use. */
  private readonly closures: (Int32Array | undefined)[];
  private readonly visitMark: Int32Array;
  private visitStamp = 0;

  /**
   * @param patterns the patterns, highest priority first
   * @param partition a partition built from (at least) every set the patterns use
   */
  constructor(patterns: readonly Regex[], partition: CharClassPartition) {
    this.partition = partition;
    this.width = partition.size;
    const root = this.nfa.newState();
    patterns.forEach((pattern, rule) => {
      const [s, e] = this.nfa.build(pattern);
      (this.nfa.epsilon[root] as number[]).push(s);
      this.nfa.acceptRule[e] = rule;
    });
    this.nfaMasks = this.nfa.edgeSet.map((set) => (set === null ? null : partition.mask(set)));
    this.visitMark = new Int32Array(this.nfa.epsilon.length);
    this.closures = new Array<Int32Array | undefined>(this.nfa.epsilon.length);
    this.transitions = new Int32Array(64 * this.width).fill(UNKNOWN);
    this.accepts = new Int32Array(64).fill(-1);
    this.addState(new Int32Array(0)); // DEAD
    this.start = this.addState(this.closureOf(root));
  }

  /** Start state. */
  get startState(): number {
    return this.start;
  }

  /** Rule accepted in `state`, -1 for none. */
  acceptOf(state: number): number {
    return this.accepts[state] as number;
  }

  /** The state after reading code unit `code` in `state` ({@link DEAD} when nothing can follow). */
  step(state: number, code: number): number {
    const cls = this.partition.classOf[code] as number;
    const next = this.transitions[state * this.width + cls] as number;
    return next !== UNKNOWN ? next : this.computeTransition(state, cls);
  }

  /**
   * Scans `text` from `from` (not beyond `to`) and records in {@link matchedRule} / {@link matchEnd} the longest
   * match and its highest-priority rule; `matchedRule` is -1 when no pattern matches a non-empty prefix.
   */
  longestMatch(text: string, from: number, to: number): void {
    const classOf = this.partition.classOf;
    const width = this.width;
    let transitions = this.transitions;
    let accepts = this.accepts;
    let state = this.start;
    let rule = accepts[state] as number;
    let end = from;
    for (let i = from; i < to;) {
      const cls = classOf[text.charCodeAt(i)] as number;
      let next = transitions[state * width + cls] as number;
      if (next === UNKNOWN) {
        next = this.computeTransition(state, cls);
        transitions = this.transitions;
        accepts = this.accepts;
      }
      if (next === DEAD) break;
      state = next;
      i++;
      const accepted = accepts[state] as number;
      if (accepted >= 0) {
        rule = accepted;
        end = i;
      }
    }
    this.matchedRule = rule;
    this.matchEnd = end;
  }

  /** The ε-closure of NFA state `s` (its states that have an edge or accept), sorted. */
  private closureOf(s: number): Int32Array {
    const known = this.closures[s];
    if (known !== undefined) return known;
    const stamp = ++this.visitStamp;
    const mark = this.visitMark;
    const stack = [s];
    const kept: number[] = [];
    mark[s] = stamp;
    while (stack.length > 0) {
      const t = stack.pop() as number;
      if (this.nfaMasks[t] !== null || (this.nfa.acceptRule[t] as number) >= 0) kept.push(t);
      for (const u of this.nfa.epsilon[t] as number[]) {
        if (mark[u] !== stamp) {
          mark[u] = stamp;
          stack.push(u);
        }
      }
    }
    const closure = Int32Array.from(kept.sort((a, b) => a - b));
    this.closures[s] = closure;
    return closure;
  }

  private addState(members: Int32Array): number {
    let hash = 0x811c9dc5;
    for (let i = 0; i < members.length; i++) hash = Math.imul(hash ^ (members[i] as number), 0x01000193);
    const bucket = this.stateIdsByHash.get(hash);
    if (bucket !== undefined) {
      for (const candidate of bucket) {
        const other = this.stateMembers[candidate] as Int32Array;
        if (other.length === members.length && other.every((v, i) => v === members[i])) return candidate;
      }
    }
    const id = this.stateCount++;
    if ((id + 1) * this.width > this.transitions.length) {
      const grown = new Int32Array(this.transitions.length * 2).fill(UNKNOWN);
      grown.set(this.transitions);
      this.transitions = grown;
      const grownAccepts = new Int32Array(this.accepts.length * 2).fill(-1);
      grownAccepts.set(this.accepts);
      this.accepts = grownAccepts;
    }
    let rule = -1;
    for (const s of members) {
      const r = this.nfa.acceptRule[s] as number;
      if (r >= 0 && (rule < 0 || r < rule)) rule = r;
    }
    this.accepts[id] = rule;
    this.stateMembers.push(members);
    if (bucket === undefined) this.stateIdsByHash.set(hash, [id]);
    else bucket.push(id);
    if (id === DEAD) this.transitions.fill(DEAD, 0, this.width);
    return id;
  }

  private computeTransition(state: number, cls: number): number {
    const stamp = ++this.visitStamp;
    const mark = this.visitMark;
    const union: number[] = [];
    for (const s of this.stateMembers[state] as Int32Array) {
      const mask = this.nfaMasks[s];
      if (mask === null || mask === undefined || mask[cls] !== 1) continue;
      for (const t of this.closureOf(this.nfa.edgeTo[s] as number)) {
        if (mark[t] !== stamp) {
          mark[t] = stamp;
          union.push(t);
        }
      }
    }
    const next = union.length === 0 ? DEAD : this.addState(Int32Array.from(union).sort());
    this.transitions[state * this.width + cls] = next;
    return next;
  }
}
