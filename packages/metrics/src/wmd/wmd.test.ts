/**
 * WMD against the oracle (ruotianluo/coco-caption wmd.py + Debian's gensim 4.2.0 + pyemd 0.5.1, with the GloVe
 * subset of ../shared/data/word-vectors; ../shared/data/coco-caption/WMD.md): corpus and every image to 1e-9
 * relative (observed ~1e-15), every per-reference distance, on the fakecap case and the edge cases.
 */
import { createHash } from 'node:crypto';
import { describeWithShared } from '@caption/test-support';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluate } from '../evaluate';
import { MetricsInputError } from '../errors';
import { expectRelativeClose } from '../testing/expected-cases';
import { EmdScratch, pyemdDistance } from './emd';
import { loadWordVectors } from './node-word-vectors';
import { WMD_STOP_WORDS_TEXT } from './stop-words';
import { withoutStopWords, wmd, wmdistance } from './wmd';
import { WordVectors, parseWordVectors } from './word-vectors';

const VECTORS = 'word-vectors/glove.6B.100d.caption-vocab.txt.gz';
const CASES = ['coco-caption/expected/wmd_fakecap_first500.json', 'coco-caption/expected/wmd_edge_cases.json'];

interface WmdCase {
  corpus: { WMD: number };
  perImage: Record<string, number>;
  perImageDetail: Record<string, { candidate_tokens: string[]; ref_distances: (number | 'inf')[] }>;
  tokenized: Record<string, { candidate: string; refs: string[] }>;
  scorer: { stopwords_sha256: string };
}

describe('WMD building blocks', () => {
  it('stop words are the 153 of coco-caption (sha256 of its stopwords.txt)', () => {
    expect(createHash('sha256').update(WMD_STOP_WORDS_TEXT).digest('hex')).toBe(
      '990bbbe788d4e191f84116d965d6fd9b2815aa9d04d81bf8a46c16e68dc294f8',
    );
    expect(WMD_STOP_WORDS_TEXT.split(' ')).toHaveLength(153);
    expect(withoutStopWords('a dog on the grass')).toEqual(['dog', 'grass']);
    expect(withoutStopWords('')).toEqual(['']); // ''.split(' ') is [''], not a stop word (then OOV)
  });

  it('reads word2vec text (header), GloVe text (none) and word2vec binary alike; a repeated word keeps its first vector', () => {
    const glove = parseWordVectors(new TextEncoder().encode('dog 3 4\ncat 0 2\ndog 1 0\n'), { format: 'text' });
    const text = parseWordVectors(new TextEncoder().encode('3 2\ndog 3 4\ncat 0 2\ndog 1 0\n'), { format: 'text' });
    const header = new TextEncoder().encode('2 2\n');
    const binary = new Uint8Array(header.length + 2 * (4 + 8));
    binary.set(header);
    const view = new DataView(binary.buffer);
    let at = header.length;
    for (const [word, values] of [
      ['dog', [3, 4]],
      ['cat', [0, 2]],
    ] as const) {
      binary.set(new TextEncoder().encode(`${word} `), at);
      at += 4;
      for (const v of values) {
        view.setFloat32(at, v, true);
        at += 4;
      }
    }
    const bin = parseWordVectors(binary, { format: 'binary' });
    for (const vectors of [glove, text, bin]) {
      expect(vectors.size).toBe(2);
      expect([...(vectors.unitVector('dog') as Float32Array)]).toEqual([Math.fround(0.6), Math.fround(0.8)]);
      expect([...(vectors.unitVector('cat') as Float32Array)]).toEqual([0, 1]);
    }
    expect(() => parseWordVectors(new TextEncoder().encode('2 2\ndog 1\n'), { format: 'text', file: 'v.txt' })).toThrow(
      'file v.txt, field "wordVectors": word vectors: line 2 has 1 values, not 2',
    );
    expect(() => parseWordVectors(new TextEncoder().encode('3 2\ndog 1 2\n'), { format: 'text' })).toThrow(
      /header announces 3 vectors but the file has 1/,
    );
  });

  it('gensim cases: infinite for no known word, 0 for one shared word, a shuffled copy at 0', () => {
    const vectors = new WordVectors(['dog', 'cat', 'grass'], Float32Array.of(1, 0, 0, 1, 0.6, 0.8), 2);
    expect(wmdistance(['zebra'], ['dog'], vectors)).toBe(Infinity);
    expect(wmdistance(['dog', 'dog'], ['dog'], vectors)).toBe(0);
    expect(wmdistance(['dog', 'cat'], ['cat', 'dog'], vectors)).toBe(0);
    // dog → cat costs |(1,0) − (0,1)| = √2
    expect(wmdistance(['dog'], ['cat'], vectors)).toBeCloseTo(Math.SQRT2, 12);
  });

  it('quantises as pyemd: masses to 1e6 of the larger total, costs to 1e6 of the largest', () => {
    // One unit of mass, cost 1/3 of maxC: the integer cost is round(1e6/3) = 333333, so 0.333333 (not 1/3).
    const problem = {
      supply: Float64Array.of(1),
      demand: Float64Array.of(0.5, 0.5),
      cost: Float64Array.of(1 / 3, 1),
      shared: Int32Array.of(-1),
      supplySum: 1,
      demandSum: 1,
      maxCost: 1,
    };
    expect(pyemdDistance(problem, new EmdScratch())).toBe((500000 * 333333 + 500000 * 1000000) / 1e6 / 1e6);
  });
});

describeWithShared('WMD = coco-caption wmd.py with gensim 4.2 + pyemd (oracle)', [VECTORS, ...CASES], (data) => {
  let vectors: WordVectors;
  beforeAll(async () => {
    vectors = await loadWordVectors(data.path(VECTORS));
    expect(vectors.size).toBe(16747);
    expect(vectors.dimension).toBe(100);
  });

  for (const path of CASES) {
    it(`${path.split('/').pop()}: corpus, every image and every reference distance to 1e-9 relative`, () => {
      const expected = data.readJson<WmdCase>(path);
      const ids = Object.keys(expected.tokenized);
      const refs = Object.fromEntries(ids.map((id) => [id, expected.tokenized[id]?.refs as string[]]));
      const cands = Object.fromEntries(ids.map((id) => [id, expected.tokenized[id]?.candidate as string]));
      const result = wmd(refs, cands, { wordVectors: vectors });
      expectRelativeClose(result.score, expected.corpus.WMD, 'corpus WMD');
      let worst = 0;
      for (const id of ids) {
        const e = expected.perImage[id] as number;
        const a = result.perImage[id] as number;
        if (e === 0) expect(a, id).toBe(0);
        else worst = Math.max(worst, Math.abs(a - e) / e);
        const detail = expected.perImageDetail[id];
        const cand = withoutStopWords(cands[id] as string);
        refs[id]?.forEach((ref, r) => {
          const d = wmdistance(cand, withoutStopWords(ref), vectors);
          const want = detail?.ref_distances[r];
          if (want === 'inf') expect(d, `${id} ref ${r}`).toBe(Infinity);
          else if (want === 0) expect(d, `${id} ref ${r}`).toBe(0);
          else expectRelativeClose(d, want, `${id} ref ${r}`);
        });
      }
      expect(worst).toBeLessThanOrEqual(1e-9);
    });
  }

  it("evaluate({ metrics: ['wmd'], wordVectors: path, tokenize: 'none' }) gives the same, reading only the captions' words", async () => {
    const expected = data.readJson<WmdCase>(CASES[0] as string);
    const ids = Object.keys(expected.tokenized);
    const result = await evaluate(
      Object.fromEntries(ids.map((id) => [id, expected.tokenized[id]?.refs as string[]])),
      Object.fromEntries(ids.map((id) => [id, expected.tokenized[id]?.candidate as string])),
      { metrics: ['wmd'], wordVectors: data.path(VECTORS), tokenize: 'none' },
    );
    expect(Object.keys(result.corpus)).toEqual(['WMD']);
    expectRelativeClose(result.corpus.WMD, expected.corpus.WMD, 'corpus WMD');
    for (const id of ids) {
      const e = expected.perImage[id] as number;
      if (e === 0) expect(result.perImage[id]?.WMD).toBe(0);
      else expectRelativeClose(result.perImage[id]?.WMD, e, `image ${id}`);
    }
  });
});

describe('WMD options', () => {
  it('without word vectors, asking for wmd is an error that says what to give', async () => {
    const error = await evaluate({ '1': ['a dog'] }, { '1': 'a dog' }, { metrics: ['wmd'] }).catch((e: unknown) => e);
    expect(MetricsInputError.isInstance(error)).toBe(true);
    expect(String(error)).toMatch(/metric "wmd" cannot run: WMD needs word vectors: .*--word-vectors/);
  });

  it('a missing vector file is named', async () => {
    const error = await loadWordVectors('/nonexistent/vectors.txt').catch((e: unknown) => e);
    expect(String(error)).toContain(
      'file /nonexistent/vectors.txt, field "wordVectors": word-vector file does not exist',
    );
  });
});
