/**
 * The benchmark cases of `oracle-timings.json`, rebuilt from the raw files in ../shared/data/coco-caption by
 * the rules of its SOURCES.md: integer image ids in ascending order, raw captions (tokenized by the bench).
 */
import { sharedData, sharedSkipReason } from '@caption/test-support';
import type { RawCands, RawRefs } from '../src/index';

/** One case: raw references and candidates per image id. */
export interface BenchCase {
  /** Name as in oracle-timings.json. */
  name: string;
  refs: RawRefs;
  cands: RawCands;
}

const DIR = 'coco-caption';

/** Keeps the entries of `cands` (and their refs) whose ids are among `ids`, ascending. */
function pick(refs: RawRefs, cands: RawCands, ids: readonly number[]): { refs: RawRefs; cands: RawCands } {
  const outRefs: Record<string, readonly string[]> = {};
  const outCands: Record<string, string> = {};
  for (const id of [...ids].sort((a, b) => a - b)) {
    outRefs[id] = refs[id] as readonly string[];
    outCands[id] = cands[id] as string;
  }
  return { refs: outRefs, cands: outCands };
}

function fakecapCases(): BenchCase[] {
  const data = sharedData();
  const annotations = data.readJson<{ annotations: { image_id: number; caption: string }[] }>(
    `${DIR}/captions_val2014_reconstructed.json.gz`,
  );
  const results = data.readJson<{ image_id: number; caption: string }[]>(
    `${DIR}/captions_val2014_fakecap_results.json`,
  );
  const refs: Record<string, string[]> = {};
  for (const a of annotations.annotations) (refs[a.image_id] ??= []).push(a.caption);
  const cands: Record<string, string> = {};
  for (const r of results) cands[r.image_id] = r.caption;
  const ids = results.map((r) => r.image_id).sort((a, b) => a - b);
  return [
    { name: 'fakecap_first500', ...pick(refs, cands, ids.slice(0, 500)) },
    { name: 'fakecap_all1000', ...pick(refs, cands, ids) },
  ];
}

function magicCase(name: string, file: string): BenchCase {
  const entries = sharedData().readJson<{ image_name: string; captions: string[]; prediction: string }[]>(
    `${DIR}/${file}`,
  );
  const refs: Record<string, string[]> = {};
  const cands: Record<string, string> = {};
  for (const entry of entries) {
    const id = Number(/(\d+)\.jpg$/.exec(entry.image_name)?.[1]);
    refs[id] = entry.captions;
    cands[id] = entry.prediction;
  }
  return { name, ...pick(refs, cands, Object.keys(cands).map(Number)) };
}

function humanLeaveOneOut(): BenchCase {
  const data = sharedData();
  const reference = data.readJson<Record<string, string[][]>>(`${DIR}/codalab_val2014_reference_answer.json.gz`);
  const submission = data.readJson<Record<string, string>>(`${DIR}/codalab_val2014_submission_answer.json.gz`);
  const refs: Record<string, string[]> = {};
  for (const [id, lists] of Object.entries(reference)) refs[id] = lists[0] as string[];
  return { name: 'human_loo_val2014_40504', ...pick(refs, submission, Object.keys(submission).map(Number)) };
}

/** Every case whose files are present, in oracle-timings.json order; prints why a case is skipped. */
export function loadCases(only?: readonly string[]): BenchCase[] {
  const wanted = (name: string): boolean => only === undefined || only.includes(name);
  const sources: [string[], string[], () => BenchCase[]][] = [
    [
      ['fakecap_first500', 'fakecap_all1000'],
      [`${DIR}/captions_val2014_reconstructed.json.gz`, `${DIR}/captions_val2014_fakecap_results.json`],
      fakecapCases,
    ],
    [
      ['magic_all5000'],
      [`${DIR}/magic_mscoco_karpathy_test_magic_result.json.gz`],
      () => [magicCase('magic_all5000', 'magic_mscoco_karpathy_test_magic_result.json.gz')],
    ],
    [
      ['zerocap_all5000'],
      [`${DIR}/magic_mscoco_karpathy_test_zerocap_result.json.gz`],
      () => [magicCase('zerocap_all5000', 'magic_mscoco_karpathy_test_zerocap_result.json.gz')],
    ],
    [
      ['human_loo_val2014_40504'],
      [`${DIR}/codalab_val2014_reference_answer.json.gz`, `${DIR}/codalab_val2014_submission_answer.json.gz`],
      () => [humanLeaveOneOut()],
    ],
  ];
  const cases: BenchCase[] = [];
  for (const [names, files, load] of sources) {
    if (!names.some(wanted)) continue;
    const reason = sharedSkipReason(files);
    if (reason !== null) {
      console.warn(`[skip] ${names.join(', ')}: ${reason}`);
      continue;
    }
    cases.push(...load().filter((c) => wanted(c.name)));
  }
  return cases;
}

/** The oracle's timings (median seconds per stage and case), or `null` when the file is absent. */
export interface OracleTimings {
  machine: string;
  cases: Record<string, Record<string, { median: number } | number>>;
}

/** Reads ../shared/data/coco-caption/expected/oracle-timings.json. */
export function loadOracleTimings(): OracleTimings | null {
  const path = `${DIR}/expected/oracle-timings.json`;
  if (sharedSkipReason([path]) !== null) return null;
  return sharedData().readJson<OracleTimings>(path);
}
