import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DataFormatError } from './errors.js';
import { parseDocumentFrequencyPickle, formatDocumentFrequencyPickle } from './ngrams.js';
import { type PickleValue, PyDict, PyFloat, PyTuple, dumpPickle, loadPickle } from './pickle.js';
import { fixturePath, readFixtureJson } from './test-fixtures.js';

type Tagged = unknown;

/** Our value model in the tagged JSON form the fixture script writes. */
function tag(v: PickleValue): Tagged {
  if (v instanceof PyTuple) return { tuple: v.items.map(tag) };
  if (v instanceof PyDict) return { dict: v.entries.map(([k, x]) => [tag(k), tag(x)]) };
  if (Array.isArray(v)) return v.map(tag);
  if (typeof v === 'bigint') return { bigint: v.toString() };
  if (v instanceof PyFloat) return { float: v.value };
  return v;
}

describe('pickle reader', () => {
  const expectedDf = readFixtureJson<
    Record<string, { ref_len: number; document_frequency: Array<[string[], number]> }>
  >('pickles', 'expected-df.json');
  for (const [name, expected] of Object.entries(expectedDf)) {
    it(`reads ${name} as Python 3 does`, () => {
      const cache = parseDocumentFrequencyPickle(new Uint8Array(readFileSync(fixturePath('pickles', name))), name);
      expect(cache.refLen).toBe(expected.ref_len);
      expect([...cache.documentFrequency]).toEqual(expected.document_frequency.map(([k, v]) => [k.join(' '), v]));
    });
  }

  it('reads plain data of protocols 0, 2 and 4 (ints of every width, floats, strings, tuples, lists, dicts)', () => {
    const expected = readFixtureJson<Tagged[]>('pickles', 'expected-general.json');
    for (const proto of [0, 2, 4]) {
      const value = loadPickle(new Uint8Array(readFileSync(fixturePath('pickles', `general-protocol${proto}.p`))));
      // floats are plain numbers on read; the fixture tags them
      const untagFloats = (t: Tagged): Tagged =>
        Array.isArray(t)
          ? t.map(untagFloats)
          : typeof t === 'object' && t !== null
            ? 'float' in t
              ? (t as { float: number }).float
              : Object.fromEntries(Object.entries(t).map(([k, x]) => [k, untagFloats(x)]))
            : t;
      expect(tag(value)).toEqual(untagFloats(expected));
    }
  });

  it('rejects truncated streams and unknown opcodes with a DataFormatError naming the file', () => {
    const bytes = new Uint8Array(readFileSync(fixturePath('pickles', 'df-protocol2.p')));
    expect(() => loadPickle(bytes.subarray(0, 40), 'x.p')).toThrow(
      /^file x\.p: pickle: (truncated stream|unterminated line)/,
    );
    expect(() => loadPickle(new Uint8Array([0x80, 2, 0xff]), 'y.p')).toThrow(DataFormatError);
  });
});

describe('pickle writer', () => {
  it('round-trips every kind of value it writes', () => {
    const value: PickleValue = [
      null,
      true,
      false,
      0,
      255,
      65535,
      65536,
      -5,
      2 ** 40,
      -(2n ** 70n),
      1.25,
      new PyFloat(3),
      'x',
      'x',
      'ünï',
      new PyTuple([]),
      new PyTuple(['a']),
      new PyTuple(['a', 'b', 'c', 'd']),
      new PyDict([
        ['k', [1, 2]],
        [new PyTuple(['t']), null],
      ]),
    ];
    const back = loadPickle(dumpPickle(value)) as PickleValue[];
    // a PyFloat reads back as a plain number; everything else as written
    expect(tag(back)).toEqual(tag(value.map((v) => (v instanceof PyFloat ? v.value : v))));
  });

  it('writes a document-frequency cache that reads back identically (defaultdict(float), tuple keys)', () => {
    const cache = {
      refLen: 3,
      documentFrequency: new Map([
        ['a', 3],
        ['a b', 1],
        ['1 2 3 0', 2],
      ]),
    };
    const bytes = formatDocumentFrequencyPickle(cache);
    const root = loadPickle(bytes) as PyDict;
    const df = root.get('document_frequency') as PyDict;
    expect(df.defaultFactory).toMatchObject({ module: '__builtin__', name: 'float' });
    expect(df.entries[1]?.[0]).toEqual(new PyTuple(['a', 'b']));
    const back = parseDocumentFrequencyPickle(bytes);
    expect(back).toEqual(cache);
  });
});
