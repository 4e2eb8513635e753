/**
 * The synonym dictionary's rules on small hand-written WordNet-format files: own synsets, irregular base forms
 * from the exceptions file, WordNet's suffix rules, and the sorted-file index against its unsorted fallback.
 */
import { describe, expect, it } from 'vitest';
import { MetricsInputError } from '../errors';
import { SynonymDictionary } from './synonyms';

/** Synsets file text from (word, ids) pairs, in the given order. */
const synsets = (entries: [string, string][]): string => entries.map(([word, ids]) => `${word}\n${ids}\n`).join('');

const ENTRIES: [string, string][] = [
  ['automobile', '02958343'],
  ['car', '02958343 02959942'],
  ['goose', '01855672'],
  ['lady', '10243137'],
  ['run', '01926311 00189565'],
  ['watch', '04555897'],
];

describe('SynonymDictionary', () => {
  const dictionary = new SynonymDictionary(synsets(ENTRIES), 'goose\ngeese\nrun\nran\n');

  it('gives a word its own synsets plus those of its base form, sorted and unique', () => {
    expect([...dictionary.synsetsOf('car')]).toEqual([2958343, 2959942]);
    expect([...dictionary.synsetsOf('geese')]).toEqual([1855672]); // exceptions file
    expect([...dictionary.synsetsOf('cars')]).toEqual([2958343, 2959942]); // "s" -> ""
    expect([...dictionary.synsetsOf('ladies')]).toEqual([10243137]); // "ies" -> "y"
    expect([...dictionary.synsetsOf('watches')]).toEqual([4555897]); // "ches" -> "ch"
    expect([...dictionary.synsetsOf('running')]).toEqual([]); // "ing" -> "e" / "": "runne", "runn" are not words
    expect([...dictionary.synsetsOf('ran')]).toEqual([189565, 1926311]);
    expect(dictionary.synsetsOf('glass').length).toBe(0); // words ending in "ss" are their own base
  });

  it('tells synonyms apart', () => {
    expect(dictionary.areSynonyms('automobile', 'cars')).toBe(true);
    expect(dictionary.areSynonyms('goose', 'car')).toBe(false);
    expect(dictionary.size).toBe(6);
  });

  it('finds the same words in an unsorted file, where a word listed twice keeps its last line', () => {
    const shuffled = new SynonymDictionary(synsets([...ENTRIES].reverse()), '');
    for (const [word] of ENTRIES) expect([...shuffled.synsetsOf(word)]).toEqual([...dictionary.synsetsOf(word)]);
    const twice = new SynonymDictionary(
      synsets([
        ['car', '1'],
        ['bus', '2'],
        ['car', '3'],
      ]),
      '',
    );
    expect([...twice.synsetsOf('car')]).toEqual([3]);
  });

  it('reads \\r\\n and lone \\r line ends as Java does', () => {
    const crlf = new SynonymDictionary(synsets(ENTRIES).replaceAll('\n', '\r\n'), '');
    const cr = new SynonymDictionary(synsets(ENTRIES).replaceAll('\n', '\r'), '');
    for (const [word] of ENTRIES) {
      expect([...crlf.synsetsOf(word)]).toEqual([...dictionary.synsetsOf(word)]);
      expect([...cr.synsetsOf(word)]).toEqual([...dictionary.synsetsOf(word)]);
    }
  });

  it('rejects files with an odd number of lines or ids that are not integers', () => {
    expect(() => new SynonymDictionary('car\n', '', 'syn.txt')).toThrow(MetricsInputError);
    expect(() => new SynonymDictionary('car\n', '', 'syn.txt')).toThrow(
      /syn\.txt.*english\.synsets.*odd number of lines/,
    );
    expect(() => new SynonymDictionary('car\nx1\n', '').synsetsOf('car')).toThrow(/not integers/);
  });
});
