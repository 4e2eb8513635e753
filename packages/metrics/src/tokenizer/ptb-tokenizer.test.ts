import { describeWithShared } from '@caption/test-support';
import { beforeAll, describe, expect, it } from 'vitest';
import { MetricsInputError } from '../errors';
import { javaLowerCase } from './java-lower-case';
import { PTB_PUNCTUATION, ptbLines, ptbTokenize, ptbTokenizeLine } from './ptb-tokenizer';

/** The text `PTBTokenizer -preserveLines -lowerCase` prints for `text`, from our lexer. */
function jarOutput(text: string): string {
  return ptbLines(text)
    .map((line) => line.map((token) => javaLowerCase(token)).join(' '))
    .join('\n');
}

const EDGE = 'coco-caption/expected/ptb_tokenizer_edge_cases.json';
const HYPO_RAW = 'coco-caption/ptb_hypo_coco2014_raw.txt.gz';
const HYPO_TOKENIZED = 'coco-caption/ptb_hypo_coco2014_tokenized.txt.gz';
const FAKECAP = 'coco-caption/expected/fakecap_first500.json';
const MAGIC = 'coco-caption/expected/magic_karpathy_test_first500.json';
const SPICE_INPUT = 'coco-caption/spice_input_fakecap_tokenized.json';
const RECONSTRUCTED = 'coco-caption/captions_val2014_reconstructed.json.gz';
const FAKECAP_RESULTS = 'coco-caption/captions_val2014_fakecap_results.json';
const METRIC_EDGE = 'coco-caption/expected/metric_edge_cases.json';

interface EdgeCases {
  punctuations_removed: string[];
  cases: { input: string; java_stdout: string; java_output_lines: string[]; coco_tokenized: string[] }[];
  multi_caption_line_shift_demo: { inputs: string[]; coco_tokenized_by_id: Record<string, string[]> };
}

interface ExpectedCase {
  raw: Record<string, { refs: string[]; candidate: string }>;
  tokenized: Record<string, { refs: string[]; candidate: string }>;
}

interface CocoAnnotations {
  annotations: { image_id: number; caption: string }[];
}

/** References of the given images from a COCO annotation file, in file order (as COCO's `imgToAnns`). */
function referencesOf(annotations: CocoAnnotations, imageIds: readonly number[]): Record<string, string[]> {
  const refs: Record<string, string[]> = {};
  for (const id of imageIds) refs[String(id)] = [];
  for (const a of annotations.annotations) refs[String(a.image_id)]?.push(a.caption);
  return refs;
}

describeWithShared('PTB tokenizer: oracle edge cases (CoreNLP 3.4.1 + coco-caption)', [EDGE], (data) => {
  let edge: EdgeCases;
  beforeAll(() => {
    edge = data.readJson<EdgeCases>(EDGE);
  });

  it('PTB_PUNCTUATION is the list the oracle removed, in its order', () => {
    expect([...PTB_PUNCTUATION]).toEqual(edge.punctuations_removed);
  });

  it('prints what the jar printed for every case', () => {
    for (const c of edge.cases) expect(jarOutput(c.input), JSON.stringify(c.input)).toBe(c.java_stdout);
  });

  it('gives the tokens coco-caption scored for every case (one caption per call)', () => {
    for (const c of edge.cases) {
      expect(ptbTokenize({ '1': [c.input] })['1'], JSON.stringify(c.input)).toEqual(c.coco_tokenized);
    }
  });

  it('ptbTokenizeLine without punctuation removal equals the jar output of one-line cases', () => {
    for (const c of edge.cases.filter((x) => x.java_output_lines.length === 1)) {
      const expected = c.java_stdout === '' ? [] : c.java_stdout.split(' ');
      expect(ptbTokenizeLine(c.input, { removePunctuation: false }), JSON.stringify(c.input)).toEqual(expected);
    }
  });

  it('ptbTokenizeLine with defaults equals the coco-caption tokens of one-line cases', () => {
    for (const c of edge.cases.filter((x) => x.java_output_lines.length === 1)) {
      const expected = c.coco_tokenized[0] === '' ? [] : (c.coco_tokenized[0] as string).split(' ');
      expect(ptbTokenizeLine(c.input), JSON.stringify(c.input)).toEqual(expected);
    }
  });

  it('reproduces the line shift a carriage return inside a caption causes', () => {
    const demo = edge.multi_caption_line_shift_demo;
    const input: Record<string, string[]> = {};
    demo.inputs.forEach((caption, i) => (input[String(i + 1)] = [caption]));
    expect(ptbTokenize(input)).toEqual(demo.coco_tokenized_by_id);
  });
});

describeWithShared(
  'PTB tokenizer: 20,244 COCO captions tokenized by the coco-caption authors',
  [HYPO_RAW, HYPO_TOKENIZED],
  (data) => {
    let raw: string;
    let tokenized: string;
    beforeAll(() => {
      raw = data.readText(HYPO_RAW);
      tokenized = data.readText(HYPO_TOKENIZED);
    });

    it('the whole CRLF file gives the jar output byte for byte', () => {
      expect(tokenized.split('\n')).toHaveLength(20245);
      expect(jarOutput(raw) === tokenized).toBe(true);
    });

    it('each line alone through ptbTokenizeLine gives the same tokens', () => {
      const rawLines = raw.split('\r\n');
      const expectedLines = tokenized.split('\n');
      const mismatches: string[] = [];
      rawLines.forEach((line, i) => {
        const expected = expectedLines[i] === '' ? [] : (expectedLines[i] as string).split(' ');
        const ours = ptbTokenizeLine(line, { removePunctuation: false });
        if (ours.join(' ') !== expected.join(' ')) mismatches.push(`${i}: ${line}`);
      });
      expect(mismatches).toEqual([]);
    });
  },
);

describe.each([
  ['fakecap_first500', FAKECAP],
  ['magic_karpathy_test_first500', MAGIC],
])('PTB tokenizer: %s references and candidates', (_name, file) => {
  describeWithShared(`expected tokens of ${file}`, [file], (data) => {
    it('tokenizes references and candidates (two calls, ascending ids) to the oracle tokens', () => {
      const expected = data.readJson<ExpectedCase>(file);
      const ids = Object.keys(expected.raw).sort((a, b) => Number(a) - Number(b));
      const refs: Record<string, string[]> = {};
      const cands: Record<string, string[]> = {};
      for (const id of ids) {
        const entry = expected.raw[id] as { refs: string[]; candidate: string };
        refs[id] = entry.refs;
        cands[id] = [entry.candidate];
      }
      const tokenizedRefs = ptbTokenize(refs);
      const tokenizedCands = ptbTokenize(cands);
      expect(Object.keys(tokenizedRefs)).toEqual(ids);
      for (const id of ids) {
        const want = expected.tokenized[id] as { refs: string[]; candidate: string };
        expect(tokenizedRefs[id], `refs of ${id}`).toEqual(want.refs);
        expect(tokenizedCands[id], `candidate of ${id}`).toEqual([want.candidate]);
      }
    });
  });
});

describeWithShared(
  'PTB tokenizer: the real 3.4.1 jar output for the 1000 fakecap images (SPICE input)',
  [SPICE_INPUT, RECONSTRUCTED, FAKECAP_RESULTS, METRIC_EDGE],
  (data) => {
    let spice: { image_id: number; test: string; refs: string[] }[];
    let refs: Record<string, string[]>;
    beforeAll(() => {
      spice = data.readJson(SPICE_INPUT);
      const ids = spice.map((e) => e.image_id).sort((a, b) => a - b);
      refs = ptbTokenize(referencesOf(data.readJson<CocoAnnotations>(RECONSTRUCTED), ids));
    });

    it('references', () => {
      for (const entry of spice) expect(refs[String(entry.image_id)], `refs of ${entry.image_id}`).toEqual(entry.refs);
    });

    it('candidates', () => {
      const results = data.readJson<{ image_id: number; caption: string }[]>(FAKECAP_RESULTS);
      const cands: Record<string, string[]> = {};
      for (const r of [...results].sort((a, b) => a.image_id - b.image_id)) cands[String(r.image_id)] = [r.caption];
      const tokenized = ptbTokenize(cands);
      for (const entry of spice)
        expect(tokenized[String(entry.image_id)], `candidate of ${entry.image_id}`).toEqual([entry.test]);
    });

    it('the references of metric_edge_cases.json', () => {
      const metricEdge = data.readJson<{ refs: Record<string, string[]> }>(METRIC_EDGE);
      for (const [id, want] of Object.entries(metricEdge.refs)) expect(refs[id], `refs of ${id}`).toEqual(want);
    });
  },
);

describe('ptbTokenize / ptbTokenizeLine API', () => {
  it('keeps ids, their order and caption counts; an id without captions stays with none', () => {
    const out = ptbTokenize({ b: ['One.', 'Two'], a: [], '7': ['Seven!'] });
    expect(Object.keys(out)).toEqual(['7', 'b', 'a']);
    expect(out).toEqual({ '7': ['seven'], b: ['one', 'two'], a: [] });
  });

  it('replaces \\n inside a caption by a space, as coco-caption does, so nothing shifts', () => {
    expect(ptbTokenize({ x: ['a\nb', 'c'] })).toEqual({ x: ['a b', 'c'] });
  });

  it('names the image id and field of a caption that is not a string', () => {
    const bad = { '12': ['ok', 3] } as unknown as Record<string, string[]>;
    expect(() => ptbTokenize(bad)).toThrow(MetricsInputError);
    expect(() => ptbTokenize(bad)).toThrow(/image id 12.*caption/);
  });

  it('lowerCase: false keeps the case and then removes the upper-case bracket tokens as the list says', () => {
    expect(ptbTokenizeLine('A (B)', { lowerCase: false, removePunctuation: false })).toEqual([
      'A',
      '-LRB-',
      'B',
      '-RRB-',
    ]);
    expect(ptbTokenizeLine('A (B)', { lowerCase: false })).toEqual(['A', 'B']);
    expect(ptbTokenizeLine('A (B)')).toEqual(['a', '-lrb-', 'b', '-rrb-']);
  });
});
