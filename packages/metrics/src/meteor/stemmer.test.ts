/**
 * The Snowball English stemmer (npm `snowball-stemmers`) against the one inside the METEOR 1.5 jar, on every
 * word of the real COCO captions in ../shared (26,960 words; the 152,385 WordNet words are checked by the
 * bench). The jar's stems are summarised by a SHA-256 digest plus a sample of pairs
 * (fixtures/meteor/jar-cases.json, made by scripts/meteor/make-meteor-fixtures.py).
 */
import { describeWithShared } from '@caption/test-support';
import { describe, expect, it } from 'vitest';
import { EnglishStemmer } from './stemmer';
import { cocoWords, readJarCases, stemDigest } from './test-fixtures';

const fixture = readJarCases().stemmer;

describe('Snowball English stemmer', () => {
  it("gives the jar's stem for every sampled word", () => {
    const stemmer = new EnglishStemmer();
    expect(fixture.samples.length).toBeGreaterThan(1000);
    for (const [word, stem] of fixture.samples) expect(stemmer.stem(word), word).toBe(stem);
  });
});

describeWithShared(
  'Snowball English stemmer on the COCO caption words',
  ['coco-caption/captions_val2014_reconstructed.json.gz', 'coco-caption/ptb_hypo_coco2014_tokenized.txt.gz'],
  (data) => {
    it('stems every word exactly as the jar does (digest of all word/stem pairs)', () => {
      const words = cocoWords(data);
      expect(words.length).toBe(fixture.coco.words);
      expect(stemDigest(new EnglishStemmer(), words)).toBe(fixture.coco.sha256);
    });
  },
);
