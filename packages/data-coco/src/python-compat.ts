/**
 * What it takes to write files byte-identical to the reference's Python scripts
 * (ImageCaptioning.pytorch `scripts/prepro_labels.py`, `prepro_ngrams.py`):
 *
 * - the iteration order of a Python `dict`: insertion order in Python ≥ 3.7, hash order in CPython 2.7
 *   (many released `cocotalk.json` files were made with Python 2, and the vocabulary ids follow the order in
 *   which `prepro_labels.py` iterated its word-count dict);
 * - `json.dump` with its default separators and `ensure_ascii`;
 * - `str.split()` without arguments (re-exported from `@caption/metrics`, which splits captions the same way).
 */

/** The Python major version whose `dict` iteration order a writer reproduces. */
export type PythonDictOrder = 2 | 3;

const MASK64 = (1n << 64n) - 1n;
const MULT = 1000003n;

/**
 * CPython 2.7's `hash()` of a `unicode` (or ASCII `str`) object on a 64-bit build with hash
 * randomisation off (the default before Python 3.3), as an unsigned 64-bit value. Code points are
 * hashed one by one (a UCS-4 build, the Linux default).
 */
export function python2StringHash(text: string): bigint {
  if (text.length === 0) return 0n;
  const codes: number[] = [];
  for (const ch of text) codes.push(ch.codePointAt(0) ?? 0);
  let x = (BigInt(codes[0] ?? 0) << 7n) & MASK64;
  for (const c of codes) x = ((MULT * x) & MASK64) ^ BigInt(c);
  x ^= BigInt(codes.length);
  return x === MASK64 ? MASK64 - 1n : x; // hash -1 is reserved, CPython returns -2
}

/** CPython 2.7's `hash()` of a non-negative `int` (the value itself), as an unsigned 64-bit value. */
function python2IntHash(value: number): bigint {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`python2 dict order: only non-negative safe integers are supported, got ${value}`);
  }
  return BigInt(value);
}

/**
 * The order in which a CPython 2.7 `dict` iterates keys inserted in the given order (each key once, no
 * deletions): open addressing with perturbed probing (`PERTURB_SHIFT` 5), 8 slots at first, resized to
 * the smallest power of two above 4 × used (2 × used past 50,000 entries) once two thirds are filled.
 *
 * @param keys distinct keys in insertion order (strings or non-negative integers)
 * @returns the same keys in Python 2 iteration order
 */
export function python2DictOrder<K extends string | number>(keys: readonly K[]): K[] {
  let mask = 7n;
  let table: Array<{ key: K; hash: bigint } | undefined> = new Array(8);
  let used = 0;
  const seen = new Set<K>();
  const freeSlot = (hash: bigint, slots: typeof table, m: bigint): number => {
    let i = hash & m;
    if (slots[Number(i)] === undefined) return Number(i);
    let perturb = hash;
    for (;;) {
      i = ((i << 2n) + i + perturb + 1n) & MASK64;
      const slot = Number(i & m);
      if (slots[slot] === undefined) return slot;
      perturb >>= 5n;
    }
  };
  for (const key of keys) {
    if (seen.has(key)) continue;
    seen.add(key);
    const hash = typeof key === 'number' ? python2IntHash(key) : python2StringHash(key);
    table[freeSlot(hash, table, mask)] = { key, hash };
    used += 1;
    if (BigInt(used) * 3n >= (mask + 1n) * 2n) {
      const minUsed = (used > 50000 ? 2 : 4) * used;
      let size = 8;
      while (size <= minUsed) size *= 2;
      const old = table;
      table = new Array(size);
      mask = BigInt(size - 1);
      for (const entry of old) if (entry !== undefined) table[freeSlot(entry.hash, table, mask)] = entry;
    }
  }
  return table.filter((e): e is { key: K; hash: bigint } => e !== undefined).map((e) => e.key);
}

/** Keys of a dict built by inserting `keys` in order, in the iteration order of the given Python. */
export function pythonDictOrder<K extends string | number>(keys: readonly K[], python: PythonDictOrder): K[] {
  return python === 2 ? python2DictOrder(keys) : [...new Set(keys)];
}

/** A JSON value with object key order given explicitly, for {@link pythonJsonDumps}. */
export type PythonJsonValue =
  | string
  | number
  | boolean
  | null
  | PythonJsonValue[]
  | { readonly entries: ReadonlyArray<readonly [string | number, PythonJsonValue]> };

/** JSON string escaping as Python's `json.dumps` with `ensure_ascii=True` (the default). */
export function pythonJsonString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i); // UTF-16 units: astral characters become surrogate-pair escapes, as Python does
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += text[i];
  }
  return `${out}"`;
}

/**
 * Serialises like Python's `json.dumps(value)` with default arguments (separators `', '` and `': '`,
 * `ensure_ascii`), objects written in the order of their `entries`; integer keys become strings as in
 * Python. Only integers are supported as numbers (Python's float repr is not reproduced).
 */
export function pythonJsonDumps(value: PythonJsonValue): string {
  const parts: string[] = [];
  const write = (v: PythonJsonValue): void => {
    if (v === null) parts.push('null');
    else if (typeof v === 'boolean') parts.push(v ? 'true' : 'false');
    else if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) throw new RangeError(`pythonJsonDumps: only safe integers are supported, got ${v}`);
      parts.push(String(v));
    } else if (typeof v === 'string') parts.push(pythonJsonString(v));
    else if (Array.isArray(v)) {
      parts.push('[');
      v.forEach((item, i) => {
        if (i > 0) parts.push(', ');
        write(item);
      });
      parts.push(']');
    } else {
      parts.push('{');
      (v as { entries: ReadonlyArray<readonly [string | number, PythonJsonValue]> }).entries.forEach(([k, item], i) => {
        if (i > 0) parts.push(', ');
        parts.push(pythonJsonString(String(k)), ': ');
        write(item);
      });
      parts.push('}');
    }
  };
  write(value);
  return parts.join('');
}

/** Python's `text.split()` (no argument): one implementation, `@caption/metrics`'s. */
export { pythonSplit } from '@caption/metrics';
