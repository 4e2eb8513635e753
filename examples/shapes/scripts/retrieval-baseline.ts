/**
 * Floors for a captioner on the shapes data: scores on the test split (with `@caption/metrics`) of
 * (1) one constant caption (the most frequent train caption) for every image, and (2) nearest-neighbour
 * retrieval: the first caption of the train image whose fc feature is closest in cosine similarity.
 * A captioner that reads the image should beat both. Needs the data set with features:
 * `npm run generate -w @caption/example-shapes -- --out out/shapes --features`, then in examples/shapes:
 * `npx tsx scripts/retrieval-baseline.ts [dataDir]` (default `<repo>/out/shapes`).
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { FeatureDirectory } from '@caption/data-coco';
import { evaluate } from '@caption/metrics';
import { defaultShapesDir, FEATURE_FOLDERS, type KarpathyDataset } from '../src/index';

const dataDir = resolve(process.argv[2] ?? defaultShapesDir());
const dataset = JSON.parse(await readFile(join(dataDir, 'dataset_shapes.json'), 'utf8')) as KarpathyDataset;
const fc = new FeatureDirectory(join(dataDir, FEATURE_FOLDERS.fc), { format: 'npy' });
const train = dataset.images.filter((i) => i.split === 'train');
const test = dataset.images.filter((i) => i.split === 'test');

const unit = async (id: number): Promise<Float32Array> => {
  const { data } = await fc.get(id);
  const norm = Math.hypot(...data) || 1;
  return data.map((v) => v / norm);
};
const trainFeats = await Promise.all(train.map((i) => unit(i.cocoid)));
const refs: Record<string, string[]> = {};
for (const img of test) refs[img.cocoid] = img.sentences.map((s) => s.raw);

const counts = new Map<string, number>();
for (const img of train) for (const s of img.sentences) counts.set(s.raw, (counts.get(s.raw) ?? 0) + 1);
const [constant] = [...counts].sort((a, b) => b[1] - a[1])[0] ?? [''];

const nearest: Record<string, string> = {};
for (const img of test) {
  const q = await unit(img.cocoid);
  let best = -Infinity;
  let bestIx = 0;
  trainFeats.forEach((t, ix) => {
    let dot = 0;
    for (let j = 0; j < q.length; j++) dot += q[j]! * t[j]!;
    if (dot > best) [best, bestIx] = [dot, ix];
  });
  nearest[img.cocoid] = train[bestIx]?.sentences[0]?.raw ?? '';
}

const metrics = ['bleu', 'rouge', 'cider'] as const;
const rows: Array<[string, Record<string, number | undefined>]> = [
  [
    `constant "${constant}"`,
    (await evaluate(refs, Object.fromEntries(test.map((i) => [i.cocoid, constant])), { metrics })).corpus,
  ],
  ['nearest train image by fc (cosine)', (await evaluate(refs, nearest, { metrics })).corpus],
];
console.log(`test split: ${test.length} images, ${train.length} train images`);
console.log('| baseline | Bleu_1 | Bleu_4 | ROUGE_L | CIDEr |\n|---|---|---|---|---|');
for (const [name, s] of rows) {
  const f = (v: number | undefined): string => (v ?? Number.NaN).toFixed(3);
  console.log(`| ${name} | ${f(s.Bleu_1)} | ${f(s.Bleu_4)} | ${f(s.ROUGE_L)} | ${f(s.CIDEr)} |`);
}
