/**
 * A small seedable pseudo-random generator for the loader (shuffling, caption choice, random crops).
 *
 * `@caption/data-coco` imports no other package of the repository (DESIGN §1), so it cannot use
 * `@caption/core`'s generator; this one is SFC32 (Chris Doty-Humphrey's "small fast chaotic" generator,
 * from PractRand): four 32-bit words of state, passes PractRand and BigCrush, and its whole state fits in a
 * JSON array, so that a loader position saved in a checkpoint resumes bit for bit.
 */

/** The serialisable state of a {@link SeededRandom}: four unsigned 32-bit words `[a, b, c, counter]`. */
export type SeededRandomState = [number, number, number, number];

/**
 * Seeded random numbers with a saveable state (SFC32).
 *
 * @example
 * ```ts
 * const rng = new SeededRandom(123);
 * const order = rng.permutation(10);      // a seeded shuffle of 0..9
 * const saved = rng.getState();           // JSON-serialisable
 * const again = SeededRandom.fromState(saved);
 * again.nextUint32() === rng.nextUint32(); // true
 * ```
 */
export class SeededRandom {
  private a = 0;
  private b = 0;
  private c = 0;
  private counter = 1;

  /**
   * @param seed any integer in [0, 2^32) (other numbers are reduced modulo 2^32); equal seeds give
   *   equal streams
   */
  constructor(seed = 0) {
    if (!Number.isFinite(seed)) throw new RangeError(`SeededRandom: seed must be a finite number, got ${seed}`);
    const s = Math.trunc(seed) >>> 0;
    // The seeding recommended for SFC32: a = 0, b = c = seed, counter = 1, then 12 discarded rounds.
    this.a = 0;
    this.b = s;
    this.c = s;
    this.counter = 1;
    for (let i = 0; i < 12; i += 1) this.nextUint32();
  }

  /** A generator continuing exactly from a state returned by {@link SeededRandom.getState}. */
  static fromState(state: SeededRandomState): SeededRandom {
    const r = new SeededRandom(0);
    r.setState(state);
    return r;
  }

  /** The next unsigned 32-bit integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.counter) >>> 0;
    this.counter = (this.counter + 1) >>> 0;
    this.a = (this.b ^ (this.b >>> 9)) >>> 0;
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** A float in [0, 1) with 32 random bits. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** An integer drawn uniformly from [0, n) (rejection sampling: no modulo bias), n ≤ 2^32. */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 4294967296) {
      throw new RangeError(`SeededRandom.nextInt: n must be an integer in [1, 2^32], got ${n}`);
    }
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** An integer drawn uniformly from [low, high], both inclusive (like Python's `random.randint`). */
  randint(low: number, high: number): number {
    if (!Number.isInteger(low) || !Number.isInteger(high) || high < low) {
      throw new RangeError(`SeededRandom.randint: need integers low <= high, got ${low}, ${high}`);
    }
    return low + this.nextInt(high - low + 1);
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i -= 1) {
      const j = this.nextInt(i + 1);
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }

  /** A random permutation of `0 .. n-1`. */
  permutation(n: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }

  /** The current state, to be stored (it is JSON) and passed to {@link SeededRandom.fromState}. */
  getState(): SeededRandomState {
    return [this.a, this.b, this.c, this.counter];
  }

  /** Restores a state returned by {@link SeededRandom.getState}. */
  setState(state: SeededRandomState): void {
    if (
      !Array.isArray(state) ||
      state.length !== 4 ||
      state.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffffffff)
    ) {
      throw new RangeError('SeededRandom.setState: expected four unsigned 32-bit integers');
    }
    [this.a, this.b, this.c, this.counter] = state;
  }
}
