/**
 * Sets of UTF-16 code units (0..0xFFFF) as sorted, disjoint, non-adjacent inclusive ranges, the
 * representation the lexer generator in this folder works with.
 *
 * @internal
 */

/** Highest UTF-16 code unit. The PTB lexer, like the JFlex 1.5 scanner it reproduces, reads code units. */
export const MAX_CODE_UNIT = 0xffff;

/**
 * An immutable set of code units: `ranges` holds `[lo0, hi0, lo1, hi1, ...]`, inclusive bounds, sorted,
 * disjoint and never adjacent (so two equal sets have equal `ranges`).
 */
export class CharSet {
  /** Every set made so far, by its ranges: equal sets are one object, so they can key maps. */
  private static readonly interned = new Map<string, CharSet>();

  /** Flat list of inclusive `[lo, hi]` bounds. */
  readonly ranges: readonly number[];

  private constructor(ranges: readonly number[]) {
    this.ranges = ranges;
  }

  /** The set of the given inclusive `[lo, hi]` pairs, in any order, overlapping or not. */
  static fromPairs(pairs: readonly (readonly [number, number])[]): CharSet {
    const sorted = pairs
      .filter(([lo, hi]) => lo <= hi)
      .map(([lo, hi]) => [Math.max(0, lo), Math.min(MAX_CODE_UNIT, hi)] as const)
      .sort((a, b) => a[0] - b[0]);
    const out: number[] = [];
    for (const [lo, hi] of sorted) {
      const last = out.length - 1;
      if (last > 0 && lo <= (out[last] as number) + 1) {
        out[last] = Math.max(out[last] as number, hi);
      } else {
        out.push(lo, hi);
      }
    }
    const key = out.join(',');
    let set = CharSet.interned.get(key);
    if (set === undefined) {
      set = new CharSet(out);
      CharSet.interned.set(key, set);
    }
    return set;
  }

  /** The set of the code units of `chars`. */
  static of(chars: string): CharSet {
    const pairs: [number, number][] = [];
    for (let i = 0; i < chars.length; i++) {
      const c = chars.charCodeAt(i);
      pairs.push([c, c]);
    }
    return CharSet.fromPairs(pairs);
  }

  /** The set of code units `lo..hi` (inclusive). */
  static range(lo: number, hi: number): CharSet {
    return CharSet.fromPairs([[lo, hi]]);
  }

  /** The set of the code units written in `list`: hexadecimal code units and `lo-hi` ranges, space-separated. */
  static fromHexList(list: string): CharSet {
    const pairs: [number, number][] = [];
    for (const item of list.split(/\s+/)) {
      if (item === '') continue;
      const dash = item.indexOf('-');
      const lo = parseInt(dash < 0 ? item : item.slice(0, dash), 16);
      const hi = dash < 0 ? lo : parseInt(item.slice(dash + 1), 16);
      if (!(lo <= hi)) throw new RangeError(`CharSet.fromHexList: bad item ${JSON.stringify(item)}`);
      pairs.push([lo, hi]);
    }
    return CharSet.fromPairs(pairs);
  }

  /** Every code unit of any of `sets`. */
  static union(...sets: readonly CharSet[]): CharSet {
    return CharSet.fromPairs(sets.flatMap((set) => set.pairs()));
  }

  /** The code units of this set that are not in `other`. */
  minus(other: CharSet): CharSet {
    return CharSet.union(this.complement(), other).complement();
  }

  /** Every code unit not in this set. */
  complement(): CharSet {
    const out: [number, number][] = [];
    let next = 0;
    for (const [lo, hi] of this.pairs()) {
      if (lo > next) out.push([next, lo - 1]);
      next = hi + 1;
    }
    if (next <= MAX_CODE_UNIT) out.push([next, MAX_CODE_UNIT]);
    return CharSet.fromPairs(out);
  }

  /** Whether `code` is in the set (binary search). */
  has(code: number): boolean {
    const r = this.ranges;
    let lo = 0;
    let hi = r.length / 2 - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (code < (r[2 * mid] as number)) hi = mid - 1;
      else if (code > (r[2 * mid + 1] as number)) lo = mid + 1;
      else return true;
    }
    return false;
  }

  /** The inclusive `[lo, hi]` pairs of the set, ascending. */
  pairs(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < this.ranges.length; i += 2) out.push([this.ranges[i] as number, this.ranges[i + 1] as number]);
    return out;
  }
}
