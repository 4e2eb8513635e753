import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithShared } from '@caption/test-support';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-program.js';
import { readCocoTalk } from './cocotalk.js';
import { readLabelsH5 } from './labels.js';
import { readDocumentFrequencyCache } from './ngrams.js';
import { readFixtureJson } from './test-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'data-coco-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
  });
  return { code, stdout, stderr };
}

describe('caption-data usage', () => {
  it('exits 2 on a missing required option and names it', async () => {
    const r = await run('stats');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--input-json/);
  });

  it('exits 2 on a split name that does not exist, and names it', async () => {
    const r = await run('preflight', '--input-json', join(dir, 'cocotalk.json'), '--splits', 'train,tset');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/"tset" is not a split \(train, val, test\)/);
  });

  it('names the file, the image and the field of a caption with no words', async () => {
    const input = join(dir, 'empty-caption.json');
    writeFileSync(
      input,
      JSON.stringify({ images: [{ split: 'train', filename: 'a.jpg', cocoid: 9, sentences: [{ tokens: [] }] }] }),
    );
    const r = await run(
      'prepro-labels',
      '--input-json',
      input,
      '--output-json',
      join(dir, 'x.json'),
      '--output-h5',
      join(dir, 'x'),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `file ${input}, image id 9, field "images[0].sentences[0].tokens": a caption has no words`,
    );
  });

  it('exits 1 with the file named when the input is unreadable', async () => {
    const r = await run('stats', '--input-json', join(dir, 'absent.json'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/absent\.json: cannot read the file/);
  });
});

/** A small Karpathy file: two train images, one val, with raw captions and tokens. */
function smallDataset(name: string, edit: (images: Array<Record<string, unknown>>) => void = () => undefined): string {
  const images: Array<Record<string, unknown>> = [
    ['train', 'a.jpg', 1, 'a dog runs on the grass'],
    ['train', 'b.jpg', 2, 'a cat sits on a mat'],
    ['val', 'c.jpg', 3, 'a dog sits'],
  ].map(([split, filename, imgid, text]) => ({
    split,
    filepath: 'imgs',
    filename,
    imgid,
    sentences: [{ tokens: String(text).split(' '), raw: text }],
  }));
  edit(images);
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ dataset: 'small', images }));
  return file;
}

const preproLabels = (input: string, outDir: string, ...extra: string[]): ReturnType<typeof run> =>
  run(
    'prepro-labels',
    '--input-json',
    input,
    '--output-json',
    join(outDir, 'data.json'),
    '--output-h5',
    join(outDir, 'data'),
    '--word-count-threshold',
    '0',
    ...extra,
  );

describe('caption-data writes all its outputs or none, and reads only inside the roots it is given', () => {
  it('prepro-labels: an output that cannot be written is "cannot write FILE: reason", exit 1, and no output is left', async () => {
    const input = smallDataset('writes');
    const out = join(dir, 'writes');
    mkdirSync(join(out, 'data_label.h5'), { recursive: true }); // a directory where the labels file goes
    const r = await preproLabels(input, out);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`caption-data: cannot write ${join(out, 'data_label.h5')}: it is a directory (EISDIR)\n`);
    expect(readdirSync(out)).toEqual(['data_label.h5']); // no data.json, no temporary file

    // the labels file can be written but the vocabulary file cannot: neither appears
    const out2 = join(dir, 'writes2');
    mkdirSync(out2);
    writeFileSync(join(out2, 'blocker'), 'a file where a folder is needed');
    const r2 = await run(
      'prepro-labels',
      '--input-json',
      input,
      '--output-json',
      join(out2, 'blocker', 'data.json'),
      '--output-h5',
      join(out2, 'data'),
      '--word-count-threshold',
      '0',
    );
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/^caption-data: cannot write .*blocker\/data\.json: /);
    expect(readdirSync(out2)).toEqual(['blocker']);
  });

  it('prepro-labels refuses a duplicate imgid, naming it and the field', async () => {
    const input = smallDataset('duplicate', (images) => {
      (images[2] as { imgid: number }).imgid = 1;
    });
    const r = await preproLabels(input, join(dir, 'duplicate-out'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`file ${input}, image id 1, field "images[2].imgid": duplicate id (also images[0])`);
    expect(existsSync(join(dir, 'duplicate-out'))).toBe(false);
  });

  it('check-images and prepro-labels --images-root refuse a path that leads outside the root', async () => {
    const root = join(dir, 'root');
    mkdirSync(join(root, 'imgs'), { recursive: true });
    const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } })
      .jpeg()
      .toBuffer();
    for (const name of ['a.jpg', 'b.jpg', 'c.jpg']) writeFileSync(join(root, 'imgs', name), jpeg);
    writeFileSync(join(dir, 'outside.jpg'), jpeg); // a readable image outside the root
    const input = smallDataset('escape', (images) => {
      (images[1] as { filename: string }).filename = '../../outside.jpg';
    });
    const checked = await run('check-images', '--input-json', input, '--images-root', root, '--no-progress');
    expect(checked.code).toBe(1);
    expect(checked.stderr).toMatch(
      /image id 2, field "images\[1\]\.filename": "imgs\/\.\.\/\.\.\/outside\.jpg" leads outside the images root/,
    );
    expect(checked.stdout).not.toMatch(/ok/);
    const prepro = await preproLabels(input, join(dir, 'escape-out'), '--images-root', root);
    expect(prepro.code).toBe(1);
    expect(prepro.stderr).toMatch(/image id 2, field "images\[1\]\.filename": .* leads outside the images root/);
    const passwd = smallDataset('passwd', (images) => {
      Object.assign(images[0] as object, { filepath: '../../../../../../../../..', filename: 'etc/passwd' });
    });
    const r = await preproLabels(passwd, join(dir, 'passwd-out'), '--images-root', root);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/image id 1, field "images\[0\]\.filepath": .* leads outside the images root/);
  });

  it('prepro-ngrams shows progress, and preflight --cached-tokens takes the prefix prepro-ngrams was given', async () => {
    const input = smallDataset('ngrams');
    const out = join(dir, 'ngrams-out');
    expect((await preproLabels(input, out)).code).toBe(0);
    const prefix = join(out, 'small-train');
    const ngrams = await run(
      'prepro-ngrams',
      '--input-json',
      input,
      '--dict-json',
      join(out, 'data.json'),
      '--output-pkl',
      prefix,
      '--split',
      'train',
    );
    expect(ngrams.code, ngrams.stderr).toBe(0);
    expect(ngrams.stderr).toContain('prepro-ngrams: 4/4 done'); // 2 images, counted as words and as ids
    const checked = await run(
      'preflight',
      '--input-json',
      join(out, 'data.json'),
      '--input-label-h5',
      join(out, 'data_label.h5'),
      '--self-critical',
      '--cached-tokens',
      prefix,
      '--dataset-json',
      input,
      '--splits',
      'train,val',
    );
    expect(checked.stdout, checked.stdout).toMatch(/DF n-grams: ok\n$/);
    expect(checked.code).toBe(0);
    expect(checked.stderr).toContain('preflight DF (recount): 4/4 done');
  });
});

describeWithShared(
  'caption-data stats on the real Flickr8k Karpathy file',
  ['flickr8k/dataset_flickr8k.json.gz'],
  (data) => {
    // fixtures/flickr8k-stats.json: plain counting in Python over the same file (fixtures/make-fixtures.py)
    const expected = readFixtureJson<{
      images: number;
      splits: Record<string, number>;
      sentences: number;
      distinct_words: number;
      vocabulary_size_threshold5: number;
      length_histogram: Record<string, number>;
      mean_length: number;
      max_length: number;
      clipped_at_16: number;
    }>('flickr8k-stats.json');

    it('prints vocabulary size and caption-length statistics equal to an independent count', async () => {
      const json = await run('stats', '--input-json', data.path('flickr8k/dataset_flickr8k.json.gz'), '--json');
      expect(json.code).toBe(0);
      const stats = JSON.parse(json.stdout) as Record<string, unknown>;
      expect(stats).toMatchObject({
        images: expected.images,
        splits: { ...expected.splits, restval: 0 },
        sentences: expected.sentences,
        distinctWords: expected.distinct_words,
        vocabularySize: expected.vocabulary_size_threshold5,
        longestCaption: expected.max_length,
        clippedCaptions: expected.clipped_at_16,
      });
      expect(stats.meanLength).toBeCloseTo(expected.mean_length, 12);
      expect(
        Object.fromEntries((stats.lengthHistogram as Array<[number, number]>).map(([k, v]) => [String(k), v])),
      ).toEqual(expected.length_histogram);
      const text = await run('stats', '--input-json', data.path('flickr8k/dataset_flickr8k.json.gz'));
      expect(text.stdout).toContain(`vocabulary size: ${expected.vocabulary_size_threshold5} `);
      const { train, val, test } = expected.splits;
      expect(text.stdout).toContain(`images: ${expected.images} (train ${train}, val ${val}, test ${test}, restval 0)`);
      const longest = String(expected.max_length);
      expect(text.stdout).toContain(
        `${longest.padStart(4)} ${String(expected.length_histogram[longest]).padStart(8)}  #`,
      );
    });
  },
);

const UCM = 'ucm-captions-prepro';
describeWithShared(
  'caption-data prepro-labels / prepro-ngrams on UCM-captions with the reference settings',
  [
    `${UCM}/dataset.json.gz`,
    `${UCM}/cocotalk.json`,
    `${UCM}/cocotalk_label.h5`,
    `${UCM}/coco-train-idxs.p`,
    `${UCM}/coco-train-words.p`,
  ],
  (data) => {
    it("reproduces the reference's cocotalk.json, cocotalk_label.h5 and DF pickles", async () => {
      const out = join(dir, 'ucm');
      const labels = await run(
        'prepro-labels',
        '--input-json',
        data.path(`${UCM}/dataset.json.gz`),
        '--output-json',
        `${out}/cocotalk.json`,
        '--output-h5',
        `${out}/cocotalk`,
        '--max-length',
        '16',
        '--word-count-threshold',
        '5',
        '--python-dict-order',
        '2',
      );
      expect(labels.code).toBe(0);
      expect(labels.stdout).toContain('number of words in vocab: 301');
      expect(readFileSync(`${out}/cocotalk.json`, 'utf8')).toBe(data.readText(`${UCM}/cocotalk.json`));
      const ours = await readLabelsH5(`${out}/cocotalk_label.h5`);
      const ref = await readLabelsH5(data.path(`${UCM}/cocotalk_label.h5`));
      expect(Buffer.from(ours.labels.buffer).equals(Buffer.from(ref.labels.buffer))).toBe(true);
      expect([ours.count, ours.seqLength]).toEqual([ref.count, ref.seqLength]);
      expect(ours.labelStartIx).toEqual(ref.labelStartIx);
      expect(ours.labelEndIx).toEqual(ref.labelEndIx);
      expect(ours.labelLength).toEqual(ref.labelLength);

      const ngrams = await run(
        'prepro-ngrams',
        '--input-json',
        data.path(`${UCM}/dataset.json.gz`),
        '--dict-json',
        `${out}/cocotalk.json`,
        '--output-pkl',
        `${out}/coco-train`,
        '--split',
        'train',
      );
      expect(ngrams.code).toBe(0);
      for (const kind of ['idxs', 'words']) {
        const mine = await readDocumentFrequencyCache(`${out}/coco-train-${kind}.p`);
        const theirs = await readDocumentFrequencyCache(data.path(`${UCM}/coco-train-${kind}.p`));
        expect(mine.refLen).toBe(theirs.refLen);
        expect(new Map([...mine.documentFrequency].sort())).toEqual(new Map([...theirs.documentFrequency].sort()));
      }
    });
  },
);

describeWithShared(
  'caption-data with Chinese captions',
  ['flickr8k/dataset_flickr8k.json.gz', 'flickr8k-cn/flickr8kzhc.caption.txt.gz'],
  (data) => {
    it('builds a jieba vocabulary from Flickr8k-CN and records the tokenizer in cocotalk.json', async () => {
      const out = join(dir, 'zh');
      const r = await run(
        'prepro-labels',
        '--input-json',
        data.path('flickr8k/dataset_flickr8k.json.gz'),
        '--captions',
        data.path('flickr8k-cn/flickr8kzhc.caption.txt.gz'),
        '--tokenizer',
        'jieba',
        '--output-json',
        `${out}/cocotalk.json`,
        '--output-h5',
        `${out}/cocotalk`,
      );
      expect(r.code).toBe(0);
      const ct = await readCocoTalk(`${out}/cocotalk.json`);
      expect(ct.vocabulary.tokenizer).toEqual({ kind: 'jieba', library: 'jieba-wasm@2.4.0', keepPunctuation: false });
      expect(ct.images).toHaveLength(8000);
      expect(ct.vocabulary.idOf('女人')).toBeGreaterThan(0);
    });
  },
);

describeWithShared(
  'caption-data prepro-labels --images-root',
  ['images/val2014/COCO_val2014_000000000139.jpg', 'images/val2014/COCO_val2014_000000022892.jpg'],
  (data) => {
    it("records each image's width and height (as Pillow reads them) and reports its progress", async () => {
      const names = ['COCO_val2014_000000000139.jpg', 'COCO_val2014_000000022892.jpg'];
      const input = join(dir, 'sizes-dataset.json');
      writeFileSync(
        input,
        JSON.stringify({
          images: names.map((filename, i) => ({
            split: 'train',
            filepath: 'val2014',
            filename,
            cocoid: 10 + i,
            sentences: [{ tokens: ['a', 'dog'] }],
          })),
        }),
      );
      const out = join(dir, 'sizes');
      const r = await run(
        'prepro-labels',
        '--input-json',
        input,
        '--images-root',
        data.path('images'),
        '--output-json',
        `${out}/cocotalk.json`,
        '--output-h5',
        `${out}/cocotalk`,
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('image sizes: 2/2 done');
      // fixtures/pillow-rgb.json: Image.open(f).size of the same files
      const pillow = readFixtureJson<{ images: Record<string, { width: number; height: number }> }>(
        'pillow-rgb.json',
      ).images;
      const images = (await readCocoTalk(`${out}/cocotalk.json`)).images;
      expect(images.map((im) => [im.width, im.height])).toEqual(
        names.map((n) => [pillow[n]?.width, pillow[n]?.height]),
      );
    });
  },
);

describeWithShared(
  'caption-data check-images and preflight',
  ['images/val2014/COCO_val2014_000000000139.jpg'],
  (data) => {
    it('reports bad images and exits 1; with --skip-bad exits 0 and writes the skip list', async () => {
      const root = join(dir, 'images');
      mkdirSync(join(root, 'val2014'), { recursive: true });
      const good = readFileSync(data.path('images/val2014/COCO_val2014_000000000139.jpg'));
      writeFileSync(join(root, 'val2014', 'a.jpg'), good);
      writeFileSync(join(root, 'val2014', 'b.jpg'), new Uint8Array(0));
      writeFileSync(join(root, 'val2014', 'd.jpg'), good.subarray(0, Math.floor(good.length * 0.6)));
      writeFileSync(join(root, 'val2014', 'e.jpg'), await sharp(good).png().toBuffer());
      const list = join(dir, 'cocotalk-images.json');
      const names = { 139: 'a', 2: 'b', 3: 'c', 4: 'd', 5: 'e' };
      writeFileSync(
        list,
        JSON.stringify({
          ix_to_word: { 1: 'a' },
          images: Object.entries(names).map(([id, name]) => ({
            id: Number(id),
            split: 'val',
            file_path: `val2014/${name}.jpg`,
          })),
        }),
      );
      const failing = await run('check-images', '--input-json', list, '--images-root', root, '--no-progress');
      expect(failing.code).toBe(1);
      expect(failing.stdout).toContain(`2\t${join(root, 'val2014', 'b.jpg')}\tempty: the file is empty (0 bytes)`);
      expect(failing.stdout).toContain(`3\t${join(root, 'val2014', 'c.jpg')}\tmissing: no such file`);
      expect(failing.stdout).toContain(`4\t${join(root, 'val2014', 'd.jpg')}\ttruncated: `);
      expect(failing.stdout).toContain(`5\t${join(root, 'val2014', 'e.jpg')}\twrong-format: PNG data in a .jpg file`);
      expect(failing.stdout).toContain('checked 5 of 5 images: 1 ok, 4 bad');
      const skip = join(dir, 'skip.json');
      const skipping = await run(
        'check-images',
        '--input-json',
        list,
        '--images-root',
        root,
        '--skip-bad',
        '--skip-list',
        skip,
        '--no-progress',
      );
      expect(skipping.code).toBe(0);
      expect((JSON.parse(readFileSync(skip, 'utf8')) as Array<{ id: number }>).map((p) => p.id)).toEqual([2, 3, 4, 5]);

      const pre = await run(
        'preflight',
        '--input-json',
        list,
        '--input-fc-dir',
        join(dir, 'nofc'),
        '--splits',
        'val',
        '--self-critical',
        '--no-progress',
      );
      expect(pre.code).toBe(1);
      expect(pre.stdout).toMatch(/file .*nofc\/139\.npy, image id 139, field "fc": feature file missing/);
      expect(pre.stdout).toMatch(/field "cached_tokens": self-critical training needs/);
      expect(existsSync(skip)).toBe(true);
    });
  },
);
