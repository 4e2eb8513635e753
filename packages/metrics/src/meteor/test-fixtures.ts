/**
 * Test helpers for METEOR: the jar-made fixture (`fixtures/meteor/jar-cases.json`, see
 * `scripts/meteor/README.md`) and the shared METEOR resource files. Used by tests only.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MeteorStats } from './stats';

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
  normalizer: { input: string; output: string }[];
  stemmer: { rule: string; words: number; sha256: string; samples: [string, string][] };
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
