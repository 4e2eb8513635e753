/**
 * The built CLI (`node dist/cli.js`, through the `bin/caption-eval.js` launcher npm links) run as a child
 * process: `npm test` builds first (turbo: test depends on build).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describeWithShared, repoRoot } from '@caption/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REAL_CASES, expectRelativeClose, loadRealCase } from './testing/expected-cases';
import { INLINE_SAMPLE } from './testing/inline-sample';

const launcher = fileURLToPath(new URL('../bin/caption-eval.js', import.meta.url));
const builtCli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
let dir = '';

/** Runs the CLI without a TTY (so progress is plain lines); `env` adds to this process's environment. */
function runWith(
  env: Record<string, string>,
  ...args: string[]
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [launcher, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return runWith({}, ...args);
}

function file(name: string, content: unknown, gzip = false): string {
  const path = join(dir, name);
  const text = typeof content === 'string' ? content : JSON.stringify(content);
  writeFileSync(path, gzip ? gzipSync(text) : text);
  return path;
}

/** The inline sample as COCO files: annotations with raw-looking captions, results for every image. */
const annotations = {
  images: Object.keys(INLINE_SAMPLE.refs).map((id) => ({ id: Number(id) })),
  annotations: Object.entries(INLINE_SAMPLE.refs).flatMap(([id, list]) =>
    list.map((caption) => ({ image_id: Number(id), caption })),
  ),
};
const results = Object.entries(INLINE_SAMPLE.cands)
  .filter(([, caption]) => caption !== '')
  .map(([id, caption]) => ({ image_id: Number(id), caption }));

beforeAll(() => {
  if (!existsSync(builtCli))
    throw new Error(`${builtCli} is missing: build the package first (npm run build -w @caption/metrics)`);
  dir = mkdtempSync(join(tmpdir(), 'caption-eval-'));
});
afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe('caption-eval', () => {
  it('--json prints exactly one JSON object of corpus scores on stdout', () => {
    const out = run(
      '--refs',
      file('ann.json', annotations),
      '--results',
      file('res.json', results),
      '--json',
      '--metrics',
      'bleu,rouge,cider',
    );
    expect(out.status, out.stderr).toBe(0);
    const lines = out.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const scores = JSON.parse(lines[0] as string) as Record<string, number>;
    expect(Object.keys(scores)).toEqual(['Bleu_1', 'Bleu_2', 'Bleu_3', 'Bleu_4', 'ROUGE_L', 'CIDEr']);
    // Not a TTY: progress is one plain line per stage on stderr, no bar (no escape sequences).
    expect(out.stderr).toContain('caption-eval: tokenize (1/4)\ncaption-eval: bleu (2/4)\n');
    expect(out.stderr).not.toContain('\u001b');
  });

  it('says on stderr which default metric cannot run here (METEOR without its data); stdout stays one JSON object', () => {
    const out = runWith(
      { CAPTION_METEOR_DATA: join(dir, 'no-meteor-here') },
      '--refs',
      file('ann.json', annotations),
      '--results',
      file('res.json', results),
      '--json',
    );
    expect(out.status, out.stderr).toBe(0);
    expect(Object.keys(JSON.parse(out.stdout) as object)).toEqual([
      'Bleu_1',
      'Bleu_2',
      'Bleu_3',
      'Bleu_4',
      'ROUGE_L',
      'CIDEr',
    ]);
    expect(out.stderr).toMatch(/note: meteor is not run \(it cannot run here; --metrics meteor says why\)/);
    const flagged = run(
      '--refs',
      file('ann.json', annotations),
      '--results',
      file('res.json', results),
      '--json',
      '--meteor-data',
      join(dir, 'absent'),
    );
    // --meteor-data asks for METEOR: that it cannot run is an error (exit 1), never a silently missing row
    expect(flagged.status, flagged.stderr).toBe(1);
    expect(flagged.stdout).toBe('');
    expect(flagged.stderr).toMatch(
      /^caption-eval: error: METEOR was asked for \(--meteor-data \/ --meteor-paraphrase\) but cannot run: file .*absent, field "meteorData": does not exist/,
    );
  });

  it('--help shows every option, examples and the exit statuses on stdout', () => {
    const out = run('--help');
    expect(out.status).toBe(0);
    expect(out.stderr).toBe('');
    for (const option of [
      '--refs',
      '--results',
      '--split',
      '--metrics',
      '--json',
      '--per-image',
      '--tokenize',
      '--require-all',
      '--empty-captions',
      '--meteor-data',
      '--meteor-paraphrase',
    ]) {
      expect(out.stdout).toContain(option);
    }
    expect(out.stdout).toMatch(/Examples:\n {2}caption-eval --refs/);
    expect(out.stdout).toMatch(/Exit status: 0 scores printed; 1 bad input/);
    expect(out.stdout).not.toContain('not available in this version'); // every metric the API names runs
    expect(out.stdout.replace(/\s+/g, ' ')).toContain('(choices: "error", "score-zero", default: "error")');
    expect(out.stdout).toMatch(/is an error; --empty-captions score-zero scores it 0 as coco-caption does/);
  });

  it('--empty-captions score-zero scores a result that tokenizes to nothing as coco-caption does (the oracle scored "" there)', () => {
    // Image 4's oracle candidate is "" (INLINE_SAMPLE); "..." is what PTB tokenization + punctuation removal
    // turn into "", and the sample's references are lower-case words the tokenizer leaves as they are.
    const withDots = [...results, { image_id: 4, caption: '...' }];
    const perImage = join(dir, 'per-image-empty.json');
    const args = [
      '--refs',
      file('ann.json', annotations),
      '--results',
      file('res-dots.json', withDots),
      '--json',
      '--metrics',
      'bleu,rouge,cider',
    ];
    const refused = run(...args);
    expect(refused.status).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(
      /res-dots\.json, image id 4, field "caption": caption "\.\.\." tokenizes to nothing .*--empty-captions score-zero/,
    );
    const out = run(...args, '--empty-captions', 'score-zero', '--per-image', perImage);
    expect(out.status, out.stderr).toBe(0);
    const scores = JSON.parse(out.stdout) as Record<string, number>;
    for (const [key, value] of Object.entries(scores)) expectRelativeClose(value, INLINE_SAMPLE.corpus[key], key);
    expect(out.stderr).toMatch(
      /warning: 1 result caption\(s\) have no token after tokenization \(scored 0 .*\), e\.g\. image id 4/,
    );
    const rows = JSON.parse(readFileSync(perImage, 'utf8')) as Record<string, number>[];
    expect(rows.find((row) => row.image_id === 4)).toEqual({
      image_id: 4,
      Bleu_1: 0,
      Bleu_2: 0,
      Bleu_3: 0,
      Bleu_4: 0,
      ROUGE_L: 0,
      CIDEr: 0,
    });
  });

  it('keeps a reference caption that tokenizes to nothing, with a warning naming the file, image and caption', () => {
    const withEmptyReference = {
      ...annotations,
      annotations: [...annotations.annotations, { image_id: 2, caption: '...' }],
    };
    const refs = file('ann-empty-ref.json', withEmptyReference);
    const out = run('--refs', refs, '--results', file('res.json', results), '--json', '--metrics', 'cider');
    expect(out.status, out.stderr).toBe(0);
    expect(out.stderr).toContain(
      `warning: 1 reference caption(s) have no token after tokenization (kept as empty references, as by coco-caption; they count in their image's scores), e.g. file ${refs}, image id 2, caption 3`,
    );
  });

  it('reads gzipped inputs, Karpathy splits, and writes per-image scores', () => {
    const karpathy = {
      images: [
        ...Object.entries(INLINE_SAMPLE.refs).map(([id, list]) => ({
          split: 'test',
          cocoid: Number(id),
          sentences: list.map((raw) => ({ raw })),
        })),
        { split: 'train', cocoid: 99, sentences: [{ raw: 'not scored' }] },
      ],
    };
    const perImage = join(dir, 'per-image.json');
    const args = ['--results', file('res.json.gz', results, true), '--json', '--metrics', 'bleu,cider'];
    const fromCoco = run('--refs', file('ann.json.gz', annotations, true), ...args, '--per-image', perImage);
    const fromKarpathy = run('--refs', file('dataset_test.json', karpathy), '--split', 'test', ...args);
    expect(fromCoco.status, fromCoco.stderr).toBe(0);
    expect(fromKarpathy.status, fromKarpathy.stderr).toBe(0);
    expect(fromKarpathy.stdout).toBe(fromCoco.stdout);
    const rows = JSON.parse(readFileSync(perImage, 'utf8')) as { image_id: number; CIDEr: number }[];
    expect(rows.map((row) => row.image_id)).toEqual(results.map((r) => r.image_id));
    expect(Object.keys(rows[0] as object)).toEqual(['image_id', 'Bleu_1', 'Bleu_2', 'Bleu_3', 'Bleu_4', 'CIDEr']);
  });

  it('prints a table without --json, and warns on stderr about reference images without a result', () => {
    const out = run(
      '--refs',
      file('ann.json', annotations),
      '--results',
      file('res.json', results),
      '--metrics',
      'rouge',
    );
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^5 images scored .*\n {2}ROUGE_L {2}0\.\d{6}\n$/);
    expect(out.stderr).toMatch(/1 reference image\(s\) have no result/);
    const strict = run(
      '--refs',
      file('ann.json', annotations),
      '--results',
      file('res.json', results),
      '--require-all',
    );
    expect(strict.status).not.toBe(0);
    expect(strict.stderr).toMatch(/image id 4, field "image_id": 1 reference image\(s\) have no candidate/);
  });

  it('is linked as `caption-eval` in the workspace (what `npx caption-eval` runs)', () => {
    const linked = join(repoRoot, 'node_modules', '.bin', 'caption-eval');
    const out = spawnSync(linked, ['--version'], { encoding: 'utf8' });
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  const refs = (): string => file('ann.json', annotations);
  const cases: [string, () => string[], RegExp][] = [
    [
      'an unreadable file',
      () => ['--refs', join(dir, 'absent.json'), '--results', file('res.json', results)],
      /file .*absent\.json: cannot read file: ENOENT/,
    ],
    [
      'invalid JSON',
      () => ['--refs', refs(), '--results', file('bad.json', '[{"image_id": 1,')],
      /file .*bad\.json: invalid JSON/,
    ],
    [
      'a broken gzip file',
      () => ['--refs', refs(), '--results', file('bad.json.gz', 'not gzip')],
      /bad\.json\.gz: not valid gzip/,
    ],
    [
      'a result id absent from the references',
      () => ['--refs', refs(), '--results', file('r.json', [{ image_id: 7, caption: 'a dog' }])],
      /image id 7, field "image_id": result image id is not an image of the annotations file/,
    ],
    [
      'duplicate result ids',
      () => [
        '--refs',
        refs(),
        '--results',
        file('r.json', [
          { image_id: 1, caption: 'a' },
          { image_id: 1, caption: 'b' },
        ]),
      ],
      /image id 1, field "image_id": duplicate result: entries 0 and 1/,
    ],
    [
      'an empty caption',
      () => ['--refs', refs(), '--results', file('r.json', [{ image_id: 2, caption: ' ' }])],
      /image id 2, field "caption": caption is empty/,
    ],
    [
      'a caption that tokenizes to nothing',
      () => ['--refs', refs(), '--results', file('r.json', [{ image_id: 2, caption: '- ...' }])],
      /file .*r\.json, image id 2, field "caption": caption "- \.\.\." tokenizes to nothing \(tokenize: 'ptb'\); to score such captions 0 as coco-caption does, .*--empty-captions score-zero/,
    ],
    [
      'an unknown --empty-captions value',
      () => ['--refs', refs(), '--results', file('res.json', results), '--empty-captions', 'zero'],
      /^caption-eval: error: option '--empty-captions <policy>' argument 'zero' is invalid\. Allowed choices are error, score-zero\./,
    ],
    [
      'a non-string caption',
      () => ['--refs', refs(), '--results', file('r.json', [{ image_id: 3, caption: 42 }])],
      /image id 3, field "caption": COCO results at \[0\]\.caption: Invalid input: expected string, received number/,
    ],
    [
      'a results file that is not an array',
      () => ['--refs', refs(), '--results', file('r.json', { image_id: 1 })],
      /COCO results: Invalid input: expected array/,
    ],
    ['an empty results array', () => ['--refs', refs(), '--results', file('r.json', [])], /the results array is empty/],
    [
      'a references file of neither format',
      () => ['--refs', file('x.json', [1, 2]), '--results', file('res.json', results)],
      /neither of the reference formats: not COCO captions annotations .* nor a Karpathy dataset .*; got array/,
    ],
    [
      'a references file with an "images" list that is not a Karpathy file (says which formats were tried)',
      () => [
        '--refs',
        file('x.json', { images: [{ id: 1, file_name: 'a.jpg' }] }),
        '--results',
        file('res.json', results),
      ],
      /file .*x\.json: neither of the reference formats: not COCO captions annotations \(no "annotations": \[\{image_id, caption\}\]\) nor a Karpathy dataset \(no "images": \[\{split, sentences: \[\{raw\}\]\}\], its images have no "sentences"\); the file has keys images$/m,
    ],
    [
      'a result without image_id (says "missing")',
      () => ['--refs', refs(), '--results', file('r.json', [{ caption: 'a dog' }])],
      /file .*r\.json, field "image_id": COCO results at \[0\]\.image_id: missing$/m,
    ],
    [
      'a split absent from a Karpathy file',
      () => [
        '--refs',
        file('k.json', { images: [{ split: 'train', cocoid: 1, sentences: [{ raw: 'a' }] }] }),
        '--results',
        file('res.json', results),
      ],
      /field "split": no image in split "test" \(splits in the file: train\)/,
    ],
    [
      'an unknown metric',
      () => ['--refs', refs(), '--results', file('res.json', results), '--metrics', 'bleu,blue'],
      /field "--metrics": unknown metric "blue"/,
    ],
    [
      'a missing required option',
      () => ['--refs', refs()],
      /^caption-eval: error: required option '--results <file>' not specified/,
    ],
  ];
  for (const [what, args, message] of cases) {
    it(`exits non-zero naming the problem: ${what}`, () => {
      const out = run(...args());
      expect(out.status).not.toBe(0);
      expect(out.stdout).toBe('');
      expect(out.stderr).toMatch(message);
    });
  }
});

describeWithShared(
  'caption-eval on the real COCO val2014 annotations',
  [
    'coco-caption/captions_val2014_reconstructed.json.gz',
    'coco-caption/captions_val2014_fakecap_results.json',
    REAL_CASES.fakecap_first500,
  ],
  (data) => {
    it('scores the 500 first fakecap results exactly as the oracle (raw captions, all 202,654 annotations read)', () => {
      const expected = loadRealCase(data, REAL_CASES.fakecap_first500);
      const all = data.readJson<{ image_id: number; caption: string }[]>(
        'coco-caption/captions_val2014_fakecap_results.json',
      );
      const first = all.filter((r) => Object.hasOwn(expected.perImage, String(r.image_id)));
      expect(first).toHaveLength(500);
      const out = run(
        '--refs',
        data.path('coco-caption/captions_val2014_reconstructed.json.gz'),
        '--results',
        file('fakecap_first500.json', first),
        '--json',
        '--metrics',
        'bleu,rouge,cider',
      );
      expect(out.status, out.stderr).toBe(0);
      const scores = JSON.parse(out.stdout) as Record<string, number>;
      for (const key of ['Bleu_1', 'Bleu_2', 'Bleu_3', 'Bleu_4', 'ROUGE_L', 'CIDEr']) {
        expectRelativeClose(scores[key], expected.corpus[key], key);
      }
    });

    it("gives the coco-caption demo notebook's scores for all 1000 fakecap results (to its 3 decimals)", () => {
      // The values the demo notebook of tylin/coco-caption prints (../shared/data/coco-caption/SOURCES.md).
      const notebook = {
        Bleu_1: '0.579',
        Bleu_2: '0.404',
        Bleu_3: '0.279',
        Bleu_4: '0.191',
        ROUGE_L: '0.396',
        CIDEr: '0.600',
      };
      const out = run(
        '--refs',
        data.path('coco-caption/captions_val2014_reconstructed.json.gz'),
        '--results',
        data.path('coco-caption/captions_val2014_fakecap_results.json'),
        '--json',
        '--metrics',
        'bleu,rouge,cider',
      );
      expect(out.status, out.stderr).toBe(0);
      const scores = JSON.parse(out.stdout) as Record<string, number>;
      expect(Object.fromEntries(Object.entries(scores).map(([key, value]) => [key, value.toFixed(3)]))).toEqual(
        notebook,
      );
    });
  },
);

describeWithShared(
  'caption-eval --meteor-data with a METEOR folder that has no paraphrase table',
  ['meteor/synonym'],
  (data) => {
    it('is an error naming the missing table and the --meteor-paraphrase none choice; with none, METEOR is scored', () => {
      const meteor = data.path('meteor');
      const args = ['--refs', file('ann.json', annotations), '--results', file('res.json', results), '--json'];
      const asked = run(...args, '--meteor-data', meteor);
      expect(asked.status, asked.stderr).toBe(1);
      expect(asked.stdout).toBe('');
      expect(asked.stderr).toMatch(/METEOR was asked for .* but cannot run: .*paraphrase-en\.gz.*"none"/);
      const without = run(...args, '--meteor-data', meteor, '--meteor-paraphrase', 'none');
      expect(without.status, without.stderr).toBe(0);
      expect(Object.keys(JSON.parse(without.stdout) as object)).toContain('METEOR');
    });
  },
);
