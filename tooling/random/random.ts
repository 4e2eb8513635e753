/**
 * The repository's one pseudo-random generator (xoshiro128**, seeded through splitmix32): four 32-bit words of
 * state, so that training and data-loading state (initialisation, dropout masks, sampling, shuffling) can be
 * saved in a checkpoint as JSON and resumed bit for bit.
 *
 * It lives here, outside the packages, because both `@caption/core` and the tensor-free `@caption/data-coco`
 * need it and neither may import the other (DESIGN §1): each re-exports it from its `src/random.ts`, and tsup
 * bundles this file into each package's build, so no package depends on another for it. Import nothing here.
 */

/** The serialisable state of a {@link Random}: four unsigned 32-bit words. */
export type RandomState = [number, number, number, number];

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * Seeded random numbers with a saveable state.
 *
 * @example
 * ```ts
 * const rng = new Random(42);
 * const u = rng.next();          // float in [0, 1)
 * const saved = rng.getState();  // store in a checkpoint
 * const again = Random.fromState(saved);
 * ```
 */
export class Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** @param seed any integer (reduced modulo 2^32); equal seeds give equal streams */
  constructor(seed = 0) {
    if (!Number.isFinite(seed)) throw new RangeError(`Random: seed must be a finite number, got ${seed}`);
    const mix = splitmix32(Math.trunc(seed));
    this.s0 = mix();
    this.s1 = mix();
    this.s2 = mix();
    this.s3 = mix();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A generator continuing exactly from a state returned by {@link Random.getState}. */
  static fromState(state: RandomState): Random {
    const r = new Random(0);
    r.setState(state);
    return r;
  }

  /** The next unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /**
   * Fills `out` with the next `out.length` values of {@link Random.nextUint32}: the same stream, about ten
   * times faster because the state stays in local int32 variables during the loop (used for dropout masks).
   */
  fillUint32(out: Uint32Array): Uint32Array {
    let s0 = this.s0 | 0;
    let s1 = this.s1 | 0;
    let s2 = this.s2 | 0;
    let s3 = this.s3 | 0;
    for (let i = 0; i < out.length; i++) {
      const times5 = Math.imul(s1, 5);
      out[i] = Math.imul((times5 << 7) | (times5 >>> 25), 9);
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
    }
    this.s0 = s0 >>> 0;
    this.s1 = s1 >>> 0;
    this.s2 = s2 >>> 0;
    this.s3 = s3 >>> 0;
    return out;
  }

  /** A float in [0, 1) with 32 random bits. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** An integer in [0, n). */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`Random.nextInt: n must be a positive integer, got ${n}`);
    return Math.floor(this.next() * n);
  }

  /** An integer drawn from [low, high], both inclusive (like Python's `random.randint`). */
  randint(low: number, high: number): number {
    if (!Number.isInteger(low) || !Number.isInteger(high) || high < low) {
      throw new RangeError(`Random.randint: need integers low <= high, got ${low}, ${high}`);
    }
    return low + this.nextInt(high - low + 1);
  }

  /** Shuffles `items` in place (Fisher–Yates, from the last item down) and returns it. */
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

  /** A seed for a tfjs op that takes one (e.g. `tf.dropout`, `tf.randomUniform`), drawn from this stream. */
  nextSeed(): number {
    return this.nextUint32();
  }

  /** The current state, to be stored and passed to {@link Random.fromState} or {@link Random.setState}. */
  getState(): RandomState {
    return [this.s0, this.s1, this.s2, this.s3];
  }

  /** Restores a state returned by {@link Random.getState}. */
  setState(state: RandomState): void {
    if (
      !Array.isArray(state) ||
      state.length !== 4 ||
      state.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffffffff)
    ) {
      throw new RangeError('Random.setState: expected four unsigned 32-bit integers');
    }
    [this.s0, this.s1, this.s2, this.s3] = state;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
