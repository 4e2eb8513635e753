/**
 * Test helpers for METEOR: the jar-made fixture (`fixtures/meteor/jar-cases.json`, see
 * `scripts/meteor/README.md`) and the shared METEOR resource files. Used by tests only.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SharedData } from '@caption/test-support';
import { pythonSplit } from '../internal/python-compat';
import type { MeteorStats } from './stats';
import type { EnglishStemmer } from './stemmer';
import { splitLines } from './synonyms';

/** A digest of the jar's stems of a word list. */
export interface StemDigest {
  /** How the list is made. */
  rule: string;
  /** Number of words. */
  words: number;
  /** SHA-256 of the "word<TAB>stem\n" lines, in list order. */
  sha256: string;
}

/** One candidate/references pair scored by the jar. */
export interface JarSegment {
  what: string;
  candidate: string;
  refs: string[];
  /** The jar's statistics line. */
  stats: string;
  /** The jar's segment score. */
  score: number;
}

/** The fixture made by `scripts/meteor/make-meteor-fixtures.py`. */
export interface JarCases {
  made_by: string;
  normalizer: { kind: 'hand-written' | 'coco'; input: string; output: string }[];
  stemmer: {
    /** Digest over the COCO caption words ({@link cocoWords}). */
    coco: StemDigest;
    /** Digest over the WordNet words of METEOR's synonym files ({@link wordnetWords}). */
    wordnet: StemDigest;
    /** Some (word, jar stem) pairs of both lists. */
    samples: [string, string][];
  };
  segments: JarSegment[];
  paraphrase: {
    /** A paraphrase table in the jar's text format. */
    table: string;
    segments: JarSegment[];
    fakecap_first500: { ids: string[]; stats: string[]; scores: number[]; corpus: number };
  };
}

/** Reads the jar-made fixture. */
export function readJarCases(): JarCases {
  const path = fileURLToPath(new URL('../../fixtures/meteor/jar-cases.json', import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8')) as JarCases;
}

/** Shared-data paths of METEOR's English resource files (../shared/data/meteor). */
export const SHARED_METEOR_FILES = [
  'meteor/function/english.words',
  'meteor/nonbreaking/english.prefixes',
  'meteor/synonym/english.synsets',
  'meteor/synonym/english.exceptions',
] as const;

/** The stages that matched anything in `stats` (test side), by name. */
export function matchedStages(stats: MeteorStats): string[] {
  const names = ['exact', 'stem', 'synonym', 'paraphrase'];
  return names.filter((_, i) => (stats.testContentMatches[i] ?? 0) + (stats.testFunctionMatches[i] ?? 0) > 0);
}

/** Words without StringTokenizer delimiters, sorted by UTF-8 bytes (code point order), as the script sorts. */
function cleanSorted(words: Iterable<string>): string[] {
  return [...words]
    .filter((w) => w !== '' && !/[ \t\n\r\f]/.test(w))
    .map((word) => ({ word, bytes: Buffer.from(word, 'utf8') }))
    .sort((a, b) => Buffer.compare(a.bytes, b.bytes))
    .map(({ word }) => word);
}

/** The COCO caption words: lower-cased tokens of the val2014 captions and of the tokenized hypo file. */
export function cocoWords(data: SharedData): string[] {
  const words = new Set<string>();
  const annotations = data.readJson<{ annotations: { caption: string }[] }>(
    'coco-caption/captions_val2014_reconstructed.json.gz',
  );
  for (const { caption } of annotations.annotations) for (const w of pythonSplit(caption.toLowerCase())) words.add(w);
  for (const line of data.readText('coco-caption/ptb_hypo_coco2014_tokenized.txt.gz').split('\n')) {
    for (const w of pythonSplit(line)) words.add(w);
  }
  return cleanSorted(words);
}

/** The WordNet words: every word of `english.synsets` and every form of `english.exceptions`. */
export function wordnetWords(data: SharedData): string[] {
  const words = new Set<string>();
  const synsets = data.readText('meteor/synonym/english.synsets').split('\n');
  for (let k = 0; k < synsets.length; k += 2) words.add(synsets[k] as string);
  const exceptions = splitLines(data.readText('meteor/synonym/english.exceptions'));
  for (let k = 1; k < exceptions.length; k += 2) for (const w of pythonSplit(exceptions[k] as string)) words.add(w);
  return cleanSorted(words);
}

/** SHA-256 of the "word<TAB>stem\n" lines of `words`. */
export function stemDigest(stemmer: EnglishStemmer, words: readonly string[]): string {
  const hash = createHash('sha256');
  for (const word of words) hash.update(`${word}\t${stemmer.stem(word)}\n`, 'utf8');
  return hash.digest('hex');
}
