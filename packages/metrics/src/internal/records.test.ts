import { describe, expect, it } from 'vitest';
import { recordFromMap, recordInKeyOrder } from './records';

describe('recordInKeyOrder', () => {
  it('gives the keys, values and enumeration order of the object whose keys it was given', () => {
    const source: Record<string, number> = {};
    const keys = ['b', '10', '01', '2', '4294967295', 'a', '4294967294', '-1', '0', '1e3', '007'];
    keys.forEach((key, i) => {
      source[key] = i;
    });
    const order = Object.keys(source);
    const built = recordInKeyOrder(
      order,
      order.map((key) => source[key] as number),
    );
    expect(Object.keys(built)).toEqual(order);
    expect(built).toEqual(source);
  });
});

describe('recordFromMap', () => {
  it("equals the record filled in the map's insertion order, enumeration order included", () => {
    const keys = ['b', '10', '01', '2', '4294967295', 'a', '4294967294', '-1', '0', '1e3', '007', '391895', '9'];
    const map = new Map<string, number>();
    const filled: Record<string, number> = {};
    keys.forEach((key, i) => {
      map.set(key, i);
      filled[key] = i;
    });
    const built = recordFromMap(map);
    expect(Object.keys(built)).toEqual(Object.keys(filled));
    expect(built).toEqual(filled);
  });
});
