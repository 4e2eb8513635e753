import { describe, expect, it } from 'vitest';
import { DataFormatError } from './errors.js';
import { UNK_TOKEN, Vocabulary, buildVocabulary } from './vocabulary.js';

describe('vocabulary', () => {
  const captions = [
    ['a', 'dog', 'runs'],
    ['a', 'dog'],
    ['a', 'cat'],
    ['the', 'dog'],
  ];

  it('keeps words seen more than the threshold, in first-occurrence order, then UNK', () => {
    const { vocabulary, stats } = buildVocabulary(captions, { countThreshold: 1 });
    expect(vocabulary.words).toEqual(['a', 'dog', UNK_TOKEN]);
    expect(stats).toMatchObject({ totalWords: 9, distinctWords: 5, rareWords: 3, unkCount: 3 });
    expect(buildVocabulary(captions, { countThreshold: 0 }).vocabulary.words).toEqual([
      'a',
      'dog',
      'runs',
      'cat',
      'the',
    ]);
  });

  it('encodes with clipping and UNK, decodes up to the first 0', () => {
    const v = new Vocabulary(['a', 'dog', UNK_TOKEN]);
    expect(Array.from(v.encode(['a', 'cat', 'dog', 'a'], 3))).toEqual([1, 3, 2]);
    expect(v.decode([1, 2, 0, 3])).toBe('a dog');
    expect(() => new Vocabulary(['a']).encode(['b'], 2)).toThrow(DataFormatError);
  });

  it('reads ix_to_word strictly, naming the bad key', () => {
    expect(Vocabulary.fromIxToWord({ '2': 'b', '1': 'a' }).words).toEqual(['a', 'b']);
    expect(() => Vocabulary.fromIxToWord({ '1': 'a', '3': 'c' }, 'v.json')).toThrow(
      'file v.json, field "ix_to_word": key "3" is not an id in 1..2',
    );
    expect(() => Vocabulary.fromIxToWord({ '1': 5 }, 'v.json')).toThrow(/field "ix_to_word.1"/);
  });
});
