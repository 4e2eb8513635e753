/**
 * Chinese scoring against the AI Challenger 2017 evaluation code run on real data (../shared/data/zh-expected,
 * made by its run_zh.py): jieba segmentation identical to Python jieba 0.42.1 on every caption, the tokens the
 * scorers saw, BLEU statistics exactly, and every score to 1e-9 relative.
 */
import { createHash } from 'node:crypto';
import { describeWithShared } from '@caption/test-support';
import { beforeAll, describe, expect, it } from 'vitest';
import { bleu } from './bleu';
import { CiderDScorer } from './cider-d-scorer';
import { charTokenize, jiebaCut, jiebaTokenize, loadJieba, segmentChinese } from './chinese-tokenizer';
import { evaluate, evaluateCoco } from './index';
import { expectRelativeClose } from './testing/expected-cases';

const SEGMENTATION = 'zh-expected/jieba_segmentation.json';
const LOO = 'zh-expected/flickr8kcn_test_loo.json';
const SAMPLE = 'zh-expected/aic2017_official_sample.json';
const KEYS = ['Bleu_1', 'Bleu_2', 'Bleu_3', 'Bleu_4', 'ROUGE_L', 'CIDEr'] as const;

interface SegmentationFile {
  files: Record<string, { sentences: number; sha256_jieba_raw: string; sha256_jieba_aic: string }>;
  sample: { raw: string; jieba_raw: string[]; jieba_aic: string[]; ptb_input: string; scorer_input: string }[];
}

interface ZhCase {
  corpus: Record<string, number>;
  bleu_stats: { testlen: number; reflen: number; guess: number[]; correct: number[] };
  perImage: Record<string, Record<string, number>>;
  inputs: { tokenized_sha256?: string };
  raw?: Record<string, { candidate: string; refs: string[] }>;
  tokenized: Record<string, { candidate: string; refs: string[] }>;
}

const sha256 = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('hex');

/** Python's `str.strip()` for the test's own rebuild of the AIC input (independent of the package's). */
const pyStrip = (text: string): string => text.replace(/^[\s\x1c-\x1f\x85]+|[\s\x1c-\x1f\x85]+$/gu, '');

beforeAll(async () => {
  await loadJieba();
});

describeWithShared('jieba segmentation = Python jieba 0.42.1', [SEGMENTATION, 'flickr8k-cn', 'coco-cn'], (data) => {
  it('on every caption of Flickr8k-CN (zhc, zhmtest) and COCO-CN (sha256 of the tokens, raw and as AIC loadRes cuts)', () => {
    const expected = data.readJson<SegmentationFile>(SEGMENTATION);
    for (const [file, info] of Object.entries(expected.files)) {
      const rows = data
        .readText(file)
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => {
          const at = line.indexOf(file.includes('coco-cn') ? '\t' : ' ');
          return [line.slice(0, at), line.slice(at + 1)] as const;
        });
      expect(rows.length, file).toBe(info.sentences);
      expect(sha256(rows.map(([key, s]) => [key, jiebaCut(s)])), `${file} raw`).toBe(info.sha256_jieba_raw);
      expect(sha256(rows.map(([key, s]) => [key, jiebaCut(pyStrip(s).replaceAll('。', ''))])), `${file} aic`).toBe(
        info.sha256_jieba_aic,
      );
    }
  });

  it('on the 200 sampled captions: jieba tokens, the PTB input and the string the scorers see', () => {
    const { sample } = data.readJson<SegmentationFile>(SEGMENTATION);
    expect(sample.length).toBe(200);
    const scored = jiebaTokenize(Object.fromEntries(sample.map((s, i) => [String(i), [s.raw]])));
    sample.forEach((s, i) => {
      expect(jiebaCut(s.raw), s.raw).toEqual(s.jieba_raw);
      expect(segmentChinese(s.raw, 'jieba'), s.raw).toBe(s.ptb_input);
      expect(scored[String(i)], s.raw).toEqual([s.scorer_input]);
    });
  });
});

describeWithShared('Chinese scoring = AI Challenger 2017 evaluation, Flickr8k-CN test leave-one-out', [LOO], (data) => {
  it("evaluate(tokenize: 'jieba'): the scored tokens (sha256), BLEU statistics exactly, every score to 1e-9", async () => {
    const expected = data.readJson<ZhCase>(LOO);
    const raw = expected.raw as NonNullable<ZhCase['raw']>;
    const ids = Object.keys(raw).sort();
    const refs = Object.fromEntries(ids.map((id) => [id, raw[id]?.refs as string[]]));
    const cands = Object.fromEntries(ids.map((id) => [id, raw[id]?.candidate as string]));
    expect(ids.length).toBe(1000);

    const tokRefs = jiebaTokenize(refs);
    const tokCands = jiebaTokenize(Object.fromEntries(ids.map((id) => [id, [cands[id] as string]])));
    const scoredForm = ids.map((id) => [id, tokCands[id]?.[0], tokRefs[id]]);
    expect(sha256(scoredForm)).toBe(expected.inputs.tokenized_sha256);

    const stats = bleu(tokRefs, Object.fromEntries(ids.map((id) => [id, tokCands[id]?.[0] as string]))).stats;
    expect(stats).toEqual(expected.bleu_stats);

    const result = await evaluate(refs, cands, { tokenize: 'jieba', metrics: ['bleu', 'rouge', 'cider'] });
    expect(Object.keys(result.corpus)).toEqual([...KEYS]);
    for (const key of KEYS) {
      expectRelativeClose(result.corpus[key], expected.corpus[key], `corpus ${key}`);
      for (const id of ids) {
        expectRelativeClose(result.perImage[id]?.[key], expected.perImage[id]?.[key], `${id} ${key}`);
      }
    }
  });
});

describeWithShared('Chinese scoring = AI Challenger 2017 evaluation, its official sample', [SAMPLE], (data) => {
  it('evaluateCoco on its own files: results named by file_name, ids past 2^53, references already segmented', async () => {
    const expected = data.readJson<ZhCase & { inputs: { submit: string; ref: string } }>(SAMPLE);
    const annotations = data.readJson('ai-challenger-eval-sample/id_to_words.json');
    const results = data.readJson('ai-challenger-eval-sample/id_to_test_caption.json');
    const result = await evaluateCoco(annotations, results, { tokenize: 'jieba', metrics: ['bleu', 'rouge', 'cider'] });
    expect(result.imageIds.sort()).toEqual(Object.keys(expected.perImage).sort());
    for (const key of KEYS) {
      expectRelativeClose(result.corpus[key], expected.corpus[key], `corpus ${key}`);
      for (const id of result.imageIds) {
        expectRelativeClose(result.perImage[id]?.[key], expected.perImage[id]?.[key], `${id} ${key}`);
      }
    }
  });
});

describe('Chinese and the English-only metrics', () => {
  it('METEOR and SPICE refuse Chinese tokens with the reason, and the default set leaves them out', async () => {
    const refs = { '1': ['一只狗在草地上奔跑。'] };
    const cands = { '1': '一只狗在草地上。' };
    await expect(evaluate(refs, cands, { tokenize: 'jieba', metrics: ['meteor'] })).rejects.toThrow(
      /metric "meteor" cannot run: meteor has English resources only .*tokenize 'jieba'/,
    );
    const { corpus } = await evaluate(refs, cands, { tokenize: 'char' });
    expect(Object.keys(corpus)).toEqual([...KEYS]);
  });
});

describe("tokenize: 'char'", () => {
  it("is every non-whitespace code point one token (' '.join(list(''.join(s.strip().replace('。','').split())))), then the PTB pass", () => {
    expect(segmentChinese(' 穿粉色T恤的\u3000男人。 ', 'char')).toBe('穿 粉 色 T 恤 的 男 人');
    // a character outside the BMP stays one token; Latin letters are lower-cased by the PTB pass
    expect(segmentChinese('𠀋字NBA', 'char')).toBe('𠀋 字 N B A');
    expect(charTokenize({ a: ['穿粉色T恤，站着。'] })).toEqual({ a: ['穿 粉 色 t 恤 ， 站 着'] });
    // ASCII punctuation is dropped by the PTB pass, as for jieba tokens
    expect(charTokenize({ a: ['狗,猫!'] })).toEqual({ a: ['狗 猫'] });
  });

  it('gives the CIDEr-D reward the same tokens as evaluate (CiderDScorer tokenize option)', async () => {
    const refs = { '1': ['一只狗在草地上奔跑。', '草地上的白狗。'], '2': ['两个孩子在玩球。', '玩球的孩子。'] };
    const cands = { '1': '一只白狗在草地上。', '2': '两个孩子在玩。' };
    for (const tokenize of ['jieba', 'char'] as const) {
      const { perImage } = await evaluate(refs, cands, { tokenize, metrics: ['cider'] });
      const scorer = CiderDScorer.fromCorpus(Object.values(refs), { tokenize });
      const { scores } = scorer.score(Object.values(cands), Object.values(refs));
      expect(scorer.toJSON().tokenize).toBe(tokenize);
      expect(
        CiderDScorer.fromJSON(JSON.parse(JSON.stringify(scorer.toJSON()))).score(
          Object.values(cands),
          Object.values(refs),
        ).scores,
      ).toEqual(scores);
      expect([...scores]).toEqual([perImage['1']?.CIDEr, perImage['2']?.CIDEr]);
    }
  });
});
