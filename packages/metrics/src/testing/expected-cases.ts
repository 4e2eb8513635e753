/**
 * Test helpers: the oracle cases in `../shared/data/coco-caption/expected/` (see its SOURCES.md) as typed
 * objects, and a relative-tolerance comparison. Used by tests only; not part of the package's API.
 */
import { describeWithShared, type SharedData } from '@caption/test-support';
import { expect, it } from 'vitest';
import type { RawCands, RawRefs, TokenizedCands, TokenizedRefs } from '../types';

/** Shared-data paths of the two real-data cases with tokenized and raw captions. */
export const REAL_CASES = {
  fakecap_first500: 'coco-caption/expected/fakecap_first500.json',
  magic_karpathy_test_first500: 'coco-caption/expected/magic_karpathy_test_first500.json',
} as const;

/** Shared-data path of the hand-made metric edge cases (inputs given to the scorers already tokenized). */
export const EDGE_CASES = 'coco-caption/expected/metric_edge_cases.json';

/** Scores of one image or of the corpus, by coco-caption key. */
export type ScoreRecord = Record<string, number>;

/** One oracle case, as the tests use it. */
export interface ExpectedCase {
  /** PTB-tokenized references and candidates, as the oracle scored them. */
  refs: TokenizedRefs;
  cands: TokenizedCands;
  /** Raw captions before tokenization (absent for the edge cases, which are given tokenized). */
  rawRefs?: RawRefs;
  rawCands?: RawCands;
  /** Corpus scores. */
  corpus: ScoreRecord;
  /** Per-image scores. */
  perImage: Record<string, ScoreRecord>;
  /** BLEU count statistics (real cases only). */
  bleuStats?: { testlen: number; reflen: number; guess: number[]; correct: number[] };
  /** ruotianluo/cider CiderD(df='corpus') values over the case's own references. */
  ciderDReward: { score: number; perImage: Record<string, number> };
}

interface RealCaseFile {
  tokenized: Record<string, { refs: string[]; candidate: string }>;
  raw: Record<string, { refs: string[]; candidate: string }>;
  corpus: ScoreRecord;
  perImage: Record<string, ScoreRecord>;
  bleu_stats: ExpectedCase['bleuStats'];
  cider_d_reward: { score: number; perImage: Record<string, number> };
}

interface EdgeCaseFile {
  refs: Record<string, string[]>;
  candidates: Record<string, string>;
  corpus: ScoreRecord;
  perImage: Record<string, ScoreRecord>;
}

/** Reads one of {@link REAL_CASES}. */
export function loadRealCase(data: SharedData, path: string): ExpectedCase {
  const file = data.readJson<RealCaseFile>(path);
  const refs: Record<string, string[]> = {};
  const cands: Record<string, string> = {};
  const rawRefs: Record<string, string[]> = {};
  const rawCands: Record<string, string> = {};
  for (const [id, entry] of Object.entries(file.tokenized)) {
    refs[id] = entry.refs;
    cands[id] = entry.candidate;
  }
  for (const [id, entry] of Object.entries(file.raw)) {
    rawRefs[id] = entry.refs;
    rawCands[id] = entry.candidate;
  }
  return {
    refs,
    cands,
    rawRefs,
    rawCands,
    corpus: file.corpus,
    perImage: file.perImage,
    bleuStats: file.bleu_stats,
    ciderDReward: file.cider_d_reward,
  };
}

/** Reads {@link EDGE_CASES}. */
export function loadEdgeCases(data: SharedData): ExpectedCase {
  const file = data.readJson<EdgeCaseFile>(EDGE_CASES);
  const perImageReward: Record<string, number> = {};
  for (const [id, scores] of Object.entries(file.perImage))
    perImageReward[id] = scores.CIDEr_D_reward_corpus_df as number;
  return {
    refs: file.refs,
    cands: file.candidates,
    corpus: file.corpus,
    perImage: file.perImage,
    ciderDReward: { score: file.corpus.CIDEr_D_reward_corpus_df as number, perImage: perImageReward },
  };
}

/** Parity tolerance of issue 2: 1e-9 relative. */
export const RELATIVE_TOLERANCE = 1e-9;

/** Asserts |actual − expected| ≤ 1e-9·|expected| (so an expected 0 needs an exact 0). */
export function expectRelativeClose(actual: number | undefined, expected: number | undefined, label: string): void {
  expect(actual, `${label}: missing`).toBeTypeOf('number');
  expect(expected, `${label}: no expected value`).toBeTypeOf('number');
  const a = actual as number;
  const e = expected as number;
  const error = Math.abs(a - e);
  if (!(error <= RELATIVE_TOLERANCE * Math.abs(e))) {
    expect.fail(`${label}: got ${a}, expected ${e} (relative error ${error / Math.abs(e)})`);
  }
}

/** Compares every per-image value of `key` with the case's, and that the image sets agree. */
export function expectPerImage(actual: Record<string, number>, expectedCase: ExpectedCase, key: string): void {
  expect(Object.keys(actual)).toEqual(Object.keys(expectedCase.perImage));
  for (const [id, scores] of Object.entries(expectedCase.perImage)) {
    expectRelativeClose(actual[id], scores[key], `${key} of image ${id}`);
  }
}

/**
 * Registers one test per oracle case (the two real cases, then the edge cases), each skipped with the reason
 * when ../shared is absent: `check` receives the case and asserts on it.
 */
export function itMatchesEveryOracleCase(title: string, check: (expected: ExpectedCase) => void): void {
  for (const [name, path] of Object.entries(REAL_CASES)) {
    describeWithShared(`${title} on ${name}`, [path], (data) => {
      it('matches the oracle, corpus and every image', () => check(loadRealCase(data, path)));
    });
  }
  describeWithShared(`${title} on the metric edge cases`, [EDGE_CASES], (data) => {
    it('matches the oracle on empty, one-word, repeated, reversed and copied candidates', () =>
      check(loadEdgeCases(data)));
  });
}
