/**
 * Input checks shared by every metric: the checks coco-caption makes with `assert` (same image ids on both
 * sides, one candidate per image, at least one reference), turned into {@link MetricsInputError}s that name
 * the image id and the field.
 */
import { MetricsInputError, type MetricsInputLocation } from './errors';
import type { TokenizedCands, TokenizedRefs } from './types';

/** The image ids to score, in evaluation order, after checking that refs and cands agree. */
export function checkScoringInput(refs: TokenizedRefs, cands: TokenizedCands, metric: string): string[] {
  if (typeof refs !== 'object' || refs === null) {
    throw new MetricsInputError(`${metric}: references must be an object of image id → captions`, { field: 'refs' });
  }
  if (typeof cands !== 'object' || cands === null) {
    throw new MetricsInputError(`${metric}: candidates must be an object of image id → caption`, { field: 'cands' });
  }
  const ids = Object.keys(cands);
  if (ids.length === 0) throw new MetricsInputError(`${metric}: no candidates to score`, { field: 'cands' });
  for (const id of ids) {
    const cand = cands[id];
    if (typeof cand !== 'string') {
      throw new MetricsInputError(`${metric}: candidate caption is a ${describeType(cand)}, not a string`, {
        imageId: id,
        field: 'caption',
      });
    }
    checkImageIdKey(id, { imageId: id, field: 'image_id' });
    checkReferenceList(Object.hasOwn(refs, id) ? refs[id] : undefined, id, metric);
  }
  const refIds = Object.keys(refs);
  if (refIds.length !== ids.length) {
    const missing = refIds.find((id) => !Object.hasOwn(cands, id));
    throw new MetricsInputError(`${metric}: image has references but no candidate caption`, {
      imageId: missing,
      field: 'caption',
    });
  }
  return ids;
}

/** Checks one image's reference list: a non-empty array of strings. */
function checkReferenceList(list: unknown, imageId: string, metric: string): asserts list is readonly string[] {
  if (list === undefined) {
    throw new MetricsInputError(`${metric}: candidate has no references`, { imageId, field: 'references' });
  }
  if (!Array.isArray(list)) {
    throw new MetricsInputError(`${metric}: references must be an array of strings, got a ${describeType(list)}`, {
      imageId,
      field: 'references',
    });
  }
  if (list.length === 0) {
    throw new MetricsInputError(`${metric}: reference list is empty`, { imageId, field: 'references' });
  }
  for (let i = 0; i < list.length; i++) {
    if (typeof list[i] !== 'string') {
      throw new MetricsInputError(`${metric}: reference ${i} is a ${describeType(list[i])}, not a string`, {
        imageId,
        field: 'references',
      });
    }
  }
}

/**
 * Refuses `__proto__` as an image id: scores are returned in plain objects keyed by image id, where assigning
 * that key would set the object's prototype instead of adding an entry (an id read from JSON can be anything).
 */
export function checkImageIdKey(id: string, location: MetricsInputLocation): void {
  if (id === '__proto__') throw new MetricsInputError('"__proto__" cannot be an image id', location);
}

/** Returns `value` (default `fallback`) when it is an integer ≥ 1, else throws naming the option. */
export function positiveIntegerOption(
  value: number | undefined,
  fallback: number,
  option: string,
  metric: string,
): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 1) {
    throw new MetricsInputError(`${metric}: option ${option} must be a positive integer, got ${String(n)}`, {
      field: option,
    });
  }
  return n;
}

/** Returns `value` (default `fallback`) when it is a finite number > 0, else throws naming the option. */
export function positiveNumberOption(
  value: number | undefined,
  fallback: number,
  option: string,
  metric: string,
): number {
  const x = value ?? fallback;
  if (typeof x !== 'number' || !Number.isFinite(x) || x <= 0) {
    throw new MetricsInputError(`${metric}: option ${option} must be a positive number, got ${String(x)}`, {
      field: option,
    });
  }
  return x;
}

/** A short name of a value's type for messages (`null`, `array`, `number`, ...). */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
