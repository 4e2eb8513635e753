/**
 * The README's statistics of a generated data set: distinct captions (in all, per image), vocabulary (distinct
 * tokens, and those seen at least 5 times in train), tokens per caption, and for Chinese how often jieba's
 * segmentation (the file's `tokens`) equals the grammar's own word units. Generates the set first when needed
 * (cached). In examples/shapes: `npx tsx scripts/dataset-stats.ts [dataDir]` (default `<repo>/out/shapes`).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { captionsFor, defaultShapesDir, generateShapes, sceneFor, type KarpathyDataset } from '../src/index';

const outDir = resolve(process.argv[2] ?? defaultShapesDir());
const SEED = 1; // the default data set
const IMAGE_SIZE = 64;
console.log(
  '| | distinct captions | distinct per image | vocabulary (≥ 5 in train) | tokens per caption (mean / max) |',
);
console.log('|---|---|---|---|---|');
for (const language of ['en', 'zh'] as const) {
  const data = await generateShapes({ outDir, language, seed: SEED, imageSize: IMAGE_SIZE });
  const dataset = JSON.parse(await readFile(data.datasetPath, 'utf8')) as KarpathyDataset;
  const distinct = new Set<string>();
  const counts = new Map<string, number>();
  const trainCounts = new Map<string, number>();
  let perImage = 0;
  let captions = 0;
  let tokens = 0;
  let longest = 0;
  let sameAsGrammar = 0;
  for (const image of dataset.images) {
    perImage += new Set(image.sentences.map((s) => s.raw)).size;
    const grammar =
      language === 'zh'
        ? captionsFor(sceneFor(SEED, image.imgid, IMAGE_SIZE), SEED, image.imgid, 'zh', image.sentences.length)
        : [];
    image.sentences.forEach((s, k) => {
      distinct.add(s.raw);
      captions += 1;
      tokens += s.tokens.length;
      longest = Math.max(longest, s.tokens.length);
      if (grammar[k] !== undefined && grammar[k].tokens.join(' ') === s.tokens.join(' ')) sameAsGrammar += 1;
      for (const t of s.tokens) {
        counts.set(t, (counts.get(t) ?? 0) + 1);
        if (image.split === 'train') trainCounts.set(t, (trainCounts.get(t) ?? 0) + 1);
      }
    });
  }
  const frequent = [...trainCounts.values()].filter((n) => n >= 5).length;
  const name = language === 'en' ? 'English' : 'Chinese (jieba tokens)';
  const f = (n: number): string => n.toLocaleString('en-US');
  console.log(
    `| ${name} | ${f(distinct.size)} | ${(perImage / dataset.images.length).toFixed(1)} | ${counts.size} (${frequent}) | ${(tokens / captions).toFixed(1)} / ${longest} |`,
  );
  if (language === 'zh')
    console.log(
      `jieba's tokens equal the ` +
        `grammar's word units in ${((100 * sameAsGrammar) / captions).toFixed(1)} % of the captions`,
    );
}
