/**
 * Growable typed-array helpers.
 *
 * @internal
 */

/** A zero-padded copy of `array` whose length is a power-of-two multiple of it and at least `minLength`. */
export function grown<T extends Int32Array | Float64Array>(array: T, minLength: number): T {
  let length = Math.max(16, array.length);
  while (length < minLength) length *= 2;
  const next = new (array.constructor as new (size: number) => T)(length);
  next.set(array);
  return next;
}
