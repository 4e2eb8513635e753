/**
 * The `-norm` normaliser against the jar's `Normalizer.normalizeLine` (English, punctuation kept) on
 * hand-written edge cases and 300 real raw COCO captions with punctuation (fixtures/meteor/jar-cases.json).
 */
import { describeWithShared } from '@caption/test-support';
import { describe, expect, it } from 'vitest';
import { MeteorNormalizer, parseNonbreakingPrefixes } from './normalizer';
import { readJarCases } from './test-fixtures';

describe('METEOR non-breaking prefix list', () => {
  it('skips comments and blank lines and reads #NUMERIC_ONLY# marks', () => {
    const prefixes = parseNonbreakingPrefixes('# a comment\n\nMr\r\nNo #NUMERIC_ONLY#\n  St  \nNo2 other\n');
    expect([...prefixes]).toEqual([
      ['Mr', 'always'],
      ['No', 'before-number'],
      ['St', 'always'],
      ['No2', 'always'],
    ]);
  });
});

describeWithShared('METEOR normaliser', ['meteor/nonbreaking/english.prefixes'], (data) => {
  const cases = readJarCases().normalizer;
  const normalizer = (): MeteorNormalizer =>
    new MeteorNormalizer(parseNonbreakingPrefixes(data.readText('meteor/nonbreaking/english.prefixes')));

  it('hand-written edge cases equal the jar (dots, quotes, dashes, apostrophes, commas, spaces, non-Latin)', () => {
    const n = normalizer();
    const handWritten = cases.filter((c) => c.kind === 'hand-written');
    expect(handWritten.length).toBeGreaterThan(25);
    for (const { input, output } of handWritten) expect(n.normalize(input), JSON.stringify(input)).toBe(output);
  });

  it('300 real raw COCO captions with punctuation equal the jar', () => {
    const n = normalizer();
    const real = cases.filter((c) => c.kind === 'coco');
    expect(real.length).toBe(300);
    for (const { input, output } of real) expect(n.normalize(input), JSON.stringify(input)).toBe(output);
  });
});
