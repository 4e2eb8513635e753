import { describe, expect, it } from 'vitest';
import { Random } from './random.js';
import { readFixtureJson } from './test-fixtures.js';

// Expected streams come from an independent Python implementation (fixtures/make-fixtures.py --random-only).
const expected = readFixtureJson<{ uint32: Record<string, number[]>; permutation20_seed123: number[] }>(
  'xoshiro128.json',
);

describe('Random (xoshiro128**, the repository generator the loader draws from)', () => {
  it('matches an independent implementation for several seeds', () => {
    for (const [seed, stream] of Object.entries(expected.uint32)) {
      const rng = new Random(Number(seed));
      expect(stream.map(() => rng.nextUint32())).toEqual(stream);
    }
  });

  it('shuffles like the independent implementation (Fisher–Yates)', () => {
    expect(new Random(123).permutation(20)).toEqual(expected.permutation20_seed123);
  });

  it('resumes exactly from a saved state, through JSON', () => {
    const rng = new Random(7);
    for (let i = 0; i < 5; i += 1) rng.next();
    const saved = JSON.parse(JSON.stringify(rng.getState()));
    const a = Array.from({ length: 20 }, () => rng.nextInt(1000));
    const b = Random.fromState(saved);
    expect(Array.from({ length: 20 }, () => b.nextInt(1000))).toEqual(a);
  });

  it('draws integers inside the asked range and rejects bad arguments', () => {
    const rng = new Random(1);
    for (let i = 0; i < 1000; i += 1) {
      const v = rng.randint(3, 5);
      expect(v >= 3 && v <= 5).toBe(true);
    }
    expect(() => rng.nextInt(0)).toThrow(RangeError);
    expect(() => rng.setState([1, 2, 3] as never)).toThrow(RangeError);
    expect(() => new Random(Number.NaN)).toThrow(RangeError);
  });
});
