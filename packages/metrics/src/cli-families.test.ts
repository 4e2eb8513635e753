/**
 * `caption-eval` (the built CLI, as cli.test.ts runs it) with the metrics and tokenizers that need more than
 * the captions: WMD with `--word-vectors`, Chinese with `--tokenize jieba`, SPICE's missing-jar error, and what
 * `--help` lists.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeWithShared } from '@caption/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectRelativeClose } from './testing/expected-cases';

const launcher = fileURLToPath(new URL('../bin/caption-eval.js', import.meta.url));
const builtCli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
let dir = '';

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [launcher, ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(content));
  return path;
}

/** COCO annotations and results files from raw captions keyed by image id. */
function cocoFiles(refs: Record<string, string[]>, cands: Record<string, string>, numeric: boolean): [string, string] {
  const id = (key: string): string | number => (numeric ? Number(key) : key);
  const annotations = {
    images: Object.keys(refs).map((key) => ({ id: id(key) })),
    annotations: Object.entries(refs).flatMap(([key, list]) => list.map((caption) => ({ image_id: id(key), caption }))),
  };
  const results = Object.entries(cands).map(([key, caption]) => ({ image_id: id(key), caption }));
  return [file('refs.json', annotations), file('results.json', results)];
}

beforeAll(() => {
  if (!existsSync(builtCli))
    throw new Error(`${builtCli} is missing: build the package first (npm run build -w @caption/metrics)`);
  dir = mkdtempSync(join(tmpdir(), 'caption-eval-families-'));
});
afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe('caption-eval --help', () => {
  it('lists the metrics that run, the Chinese tokenizers and the WMD and SPICE options', () => {
    const out = run('--help');
    expect(out.status).toBe(0);
    expect(out.stdout).toContain('Metrics: bleu, meteor, rouge, cider, spice, wmd');
    expect(out.stdout).not.toContain('not available in this version');
    expect(out.stdout).toMatch(/--tokenize <mode>[\s\S]*"jieba", "char"/);
    for (const flag of ['--word-vectors <file>', '--spice-jar <path>', '--spice-java <command>', '--spice-cache'])
      expect(out.stdout).toContain(flag);
  });
});

const WMD_CASE = 'coco-caption/expected/wmd_fakecap_first500.json';
const FAKECAP = 'coco-caption/expected/fakecap_first500.json';
const VECTORS = 'word-vectors/glove.6B.100d.caption-vocab.txt.gz';

describeWithShared('caption-eval --metrics wmd --word-vectors', [WMD_CASE, FAKECAP, VECTORS], (data) => {
  it('prints WMD equal to the oracle (raw fakecap captions, PTB-tokenized by the CLI)', () => {
    const raw = data.readJson<{ raw: Record<string, { refs: string[]; candidate: string }> }>(FAKECAP).raw;
    const expected = data.readJson<{ corpus: { WMD: number }; perImage: Record<string, number> }>(WMD_CASE);
    const ids = Object.keys(raw);
    const [refs, results] = cocoFiles(
      Object.fromEntries(ids.map((id) => [id, raw[id]?.refs as string[]])),
      Object.fromEntries(ids.map((id) => [id, raw[id]?.candidate as string])),
      true,
    );
    const perImage = join(dir, 'wmd-per-image.json');
    const out = run('--refs', refs, '--results', results, '--metrics', 'wmd', '--word-vectors', data.path(VECTORS));
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/WMD {2}0\.518475/);
    const json = run(
      ...['--refs', refs, '--results', results, '--metrics', 'wmd', '--json', '--per-image', perImage],
      ...['--word-vectors', data.path(VECTORS)],
    );
    expect(json.status, json.stderr).toBe(0);
    const corpus = JSON.parse(json.stdout) as { WMD: number };
    expect(Object.keys(corpus)).toEqual(['WMD']);
    expectRelativeClose(corpus.WMD, expected.corpus.WMD, 'corpus WMD');
    const rows = JSON.parse(readFileSync(perImage, 'utf8')) as { image_id: number; WMD: number }[];
    expect(rows).toHaveLength(500);
    for (const row of rows) {
      const e = expected.perImage[String(row.image_id)] as number;
      if (e === 0) expect(row.WMD).toBe(0);
      else expectRelativeClose(row.WMD, e, `image ${row.image_id}`);
    }
  });

  it('a missing vector file is a clear error', () => {
    const [refs, results] = cocoFiles({ '1': ['a dog'] }, { '1': 'a dog' }, true);
    const out = run('--refs', refs, '--results', results, '--metrics', 'wmd', '--word-vectors', join(dir, 'none.txt'));
    expect(out.status).toBe(1);
    expect(out.stderr).toContain(
      `caption-eval: error: file ${join(dir, 'none.txt')}, field "wordVectors": word-vector file does not exist`,
    );
  });
});

const LOO = 'zh-expected/flickr8kcn_test_loo.json';
const SAMPLE = 'zh-expected/aic2017_official_sample.json';
const ZH_KEYS = ['Bleu_1', 'Bleu_2', 'Bleu_3', 'Bleu_4', 'ROUGE_L', 'CIDEr'] as const;

interface ZhCase {
  corpus: Record<string, number>;
  perImage: Record<string, Record<string, number>>;
  raw?: Record<string, { candidate: string; refs: string[] }>;
}

function expectZhScores(stdout: string, perImageFile: string, expected: ZhCase): void {
  const corpus = JSON.parse(stdout) as Record<string, number>;
  expect(Object.keys(corpus)).toEqual([...ZH_KEYS]);
  for (const key of ZH_KEYS) expectRelativeClose(corpus[key], expected.corpus[key], `corpus ${key}`);
  const rows = JSON.parse(readFileSync(perImageFile, 'utf8')) as ({ image_id: string } & Record<string, number>)[];
  expect(rows.map((row) => row.image_id).sort()).toEqual(Object.keys(expected.perImage).sort());
  for (const row of rows) {
    for (const key of ZH_KEYS)
      expectRelativeClose(row[key], expected.perImage[row.image_id]?.[key], `${row.image_id} ${key}`);
  }
}

describeWithShared('caption-eval --tokenize jieba = AI Challenger 2017 evaluation', [LOO, SAMPLE], (data) => {
  it('on its official sample files as they are', () => {
    const perImage = join(dir, 'aic-per-image.json');
    const out = run(
      ...['--refs', data.path('ai-challenger-eval-sample/id_to_words.json')],
      ...['--results', data.path('ai-challenger-eval-sample/id_to_test_caption.json')],
      ...['--tokenize', 'jieba', '--metrics', 'bleu,rouge,cider', '--json', '--per-image', perImage],
    );
    expect(out.status, out.stderr).toBe(0);
    expectZhScores(out.stdout, perImage, data.readJson<ZhCase>(SAMPLE));
  });

  it('on the Flickr8k-CN test leave-one-out case (raw captions, 1,000 images named by file)', () => {
    const expected = data.readJson<ZhCase>(LOO);
    const raw = expected.raw as NonNullable<ZhCase['raw']>;
    const ids = Object.keys(raw).sort();
    const [refs, results] = cocoFiles(
      Object.fromEntries(ids.map((id) => [id, raw[id]?.refs as string[]])),
      Object.fromEntries(ids.map((id) => [id, raw[id]?.candidate as string])),
      false,
    );
    const perImage = join(dir, 'loo-per-image.json');
    const out = run('--refs', refs, '--results', results, '--tokenize', 'jieba', '--json', '--per-image', perImage);
    expect(out.status, out.stderr).toBe(0);
    expectZhScores(out.stdout, perImage, expected);
  });
});

describe('caption-eval --metrics spice without the jar', () => {
  it('exits 1 naming both Java and the jar', () => {
    const [refs, results] = cocoFiles({ '1': ['a dog'] }, { '1': 'a dog' }, true);
    const out = run(
      ...['--refs', refs, '--results', results, '--metrics', 'spice'],
      ...['--spice-jar', join(dir, 'nowhere'), '--spice-java', join(dir, 'no-java')],
    );
    expect(out.status).toBe(1);
    expect(out.stderr).toMatch(
      /caption-eval: error: .*metric "spice" cannot run: SPICE runs the official SPICE 1.0 jar .*spice-1.0.jar: .*does not exist; java: .*does not exist/,
    );
  });
});
