import { describe, expect, it } from 'vitest';
import { formatCocoTalk } from './cocotalk.js';
import { python2DictOrder, pythonJsonString, pythonSplit } from './python-compat.js';
import { readFixtureJson } from './test-fixtures.js';
import { Vocabulary } from './vocabulary.js';

// fixtures/python-json.json: Python 3.11's json.dumps outputs
const fx = readFixtureJson<{ cases: Array<[string, string]>; object: string }>('python-json.json');

describe('Python compatibility', () => {
  it("escapes strings exactly as Python's json.dumps (ensure_ascii)", () => {
    for (const [text, dumped] of fx.cases) expect(pythonJsonString(text)).toBe(dumped);
  });

  it('writes a cocotalk.json-shaped dict exactly as json.dumps under Python 3 order', () => {
    const text = formatCocoTalk({
      vocabulary: new Vocabulary(['a', '狗']),
      images: [{ split: 'train', filePath: 'x.jpg', id: 3 }],
    });
    expect(text).toBe(fx.object);
  });

  it('orders small dicts as CPython 2.7 (the key orders of the UCM cocotalk.json)', () => {
    // as found in ../shared/data/ucm-captions-prepro/cocotalk.json, written by Python 2
    expect(python2DictOrder(['ix_to_word', 'images'])).toEqual(['images', 'ix_to_word']);
    expect(python2DictOrder(['split', 'file_path', 'id'])).toEqual(['id', 'split', 'file_path']);
    expect(python2DictOrder(Array.from({ length: 300 }, (_, i) => i + 1))).toEqual(
      Array.from({ length: 300 }, (_, i) => i + 1),
    );
  });

  it("splits like Python's str.split() (runs of Unicode whitespace, no empty strings)", () => {
    expect(pythonSplit('  a  b\u3000c\x1fd\n')).toEqual(['a', 'b', 'c', 'd']);
    expect(pythonSplit('')).toEqual([]);
  });
});
