import { describe, expect, it } from 'vitest';
import { ShuffledBatches } from './batches';

const items = Array.from({ length: 10 }, (_, i) => i);
const take = (source: ShuffledBatches<number>, n: number) => Array.from({ length: n }, () => source.next());

describe('ShuffledBatches', () => {
  it('covers every item once per pass, in a seeded order that changes from pass to pass', () => {
    const batches = take(new ShuffledBatches(items, { batchSize: 5, seed: 3 }), 4);
    const pass0 = batches.slice(0, 2).flatMap((b) => b.batch.items);
    const pass1 = batches.slice(2).flatMap((b) => b.batch.items);
    expect([...pass0].sort((a, b) => a - b)).toEqual(items);
    expect([...pass1].sort((a, b) => a - b)).toEqual(items);
    expect(pass0).not.toEqual(pass1);
    expect(batches.map((b) => b.batch.pass)).toEqual([0, 0, 1, 1]);
    const again = take(new ShuffledBatches(items, { batchSize: 5, seed: 3 }), 4).flatMap((b) => b.batch.items);
    expect(again).toEqual([...pass0, ...pass1]);
    const other = take(new ShuffledBatches(items, { batchSize: 5, seed: 4 }), 2).flatMap((b) => b.batch.items);
    expect(other).not.toEqual(pass0);
  });

  it('marks the end of an epoch every batchesPerEpoch batches, across passes', () => {
    const source = new ShuffledBatches(items.slice(0, 3), { batchSize: 2, seed: 1, batchesPerEpoch: 4 });
    const batches = take(source, 8);
    expect(batches.map((b) => b.lastOfEpoch)).toEqual([false, false, false, true, false, false, false, true]);
    // batches run across passes: 8 batches of 2 over 3 items = 16 items, every item 5 or 6 times
    const counts = [0, 0, 0];
    for (const b of batches) for (const i of b.batch.items) counts[i]! += 1;
    expect(counts.reduce((a, b) => a + b, 0)).toBe(16);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(5);
    expect(source.batchesPerEpoch).toBe(4);
  });

  it('resumes from its state exactly where it was', () => {
    const a = new ShuffledBatches(items, { batchSize: 3, seed: 9 });
    take(a, 5);
    const state = JSON.parse(JSON.stringify(a.getState())) as unknown;
    const b = new ShuffledBatches(items, { batchSize: 3, seed: 9 });
    b.setState(state);
    expect(take(b, 6)).toEqual(take(a, 6));
    expect(() => b.setState({ position: 'x' })).toThrow(/expected \{position, batches\}/);
  });
});
