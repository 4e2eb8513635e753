/**
 * The repository's sample report (`docs/sample-report.html`): the HTML report of two real captioners' outputs on
 * the Karpathy COCO test split, made without any training. The captions are MAGIC's and ZeroCap's (the results
 * files of yxuansu/MAGIC in `../shared/data/coco-caption/`), scored here by `@caption/metrics` against each entry's
 * five reference captions, as COCOEvalCap does (PTB tokenizer; BLEU 1-4, ROUGE-L, CIDEr-D; METEOR needs a
 * paraphrase table that is not available here). The examples are the test images of `../shared/data/images`; the
 * committed report shows no picture (COCO images are not copied into the repository), `--with-images` embeds them.
 *
 * Usage: `node --import tsx examples/common/src/sample-report.ts <shared data folder> <out.html> [--with-images]`
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '@caption/core';
import { readJsonFile } from '@caption/data-coco';
import { evaluate, type RawRefs } from '@caption/metrics';
import { ExampleDataError } from './errors';
import { writeReport } from './report';

/** The two results files, as the MAGIC repository released them. */
const SYSTEMS = [
  { name: 'MAGIC', file: 'coco-caption/magic_mscoco_karpathy_test_magic_result.json.gz' },
  { name: 'ZeroCap', file: 'coco-caption/magic_mscoco_karpathy_test_zerocap_result.json.gz' },
] as const;

/** One entry of a MAGIC results file. */
interface MagicEntry {
  image_name: string;
  captions: string[];
  prediction: string;
}

async function readEntries(file: string): Promise<MagicEntry[]> {
  const json = await readJsonFile(file);
  if (!Array.isArray(json)) throw new ExampleDataError(`sample report: ${file} is not a list of results`, []);
  return json.map((raw: Partial<Record<keyof MagicEntry, unknown>> | null, i) => {
    if (
      typeof raw !== 'object' ||
      raw === null ||
      typeof raw.image_name !== 'string' ||
      typeof raw.prediction !== 'string' ||
      !Array.isArray(raw.captions)
    )
      throw new ExampleDataError(`sample report: ${file}, entry ${i}: expected {image_name, captions, prediction}`, []);
    return raw as unknown as MagicEntry;
  });
}

/** The COCO id in `COCO_val2014_000000391895.jpg`. */
const imageId = (name: string): number => Number(/(\d+)\.jpg$/.exec(name)?.[1]);

/**
 * Writes the sample report (see the module comment).
 *
 * @param sharedData the shared data folder (`../shared/data`)
 * @param out the HTML file to write
 * @returns the report's path and each system's corpus scores
 */
export async function writeSampleReport(
  sharedData: string,
  out: string,
  options: { withImages?: boolean } = {},
): Promise<{ out: string; corpus: Record<string, Record<string, number>> }> {
  const manifest = (await readJsonFile(join(sharedData, 'images', 'manifest.json'))) as Array<{
    file: string;
    coco_id: number;
    magic_zerocap_prediction?: boolean;
  }>;
  const pictured = manifest.filter((m) => m.magic_zerocap_prediction === true);
  const examples = new Set(pictured.map((m) => m.coco_id));
  const work = mkdtempSync(join(tmpdir(), 'caption-sample-report-'));
  const corpus: Record<string, Record<string, number>> = {};
  let references: RawRefs = {};
  try {
    const models = [];
    for (const system of SYSTEMS) {
      const entries = await readEntries(join(sharedData, system.file));
      const refs: Record<string, string[]> = {};
      const cands: Record<string, string> = {};
      for (const e of entries) {
        refs[String(imageId(e.image_name))] = e.captions;
        cands[String(imageId(e.image_name))] = e.prediction;
      }
      if (system.name === 'MAGIC') references = refs;
      const scored = await evaluate(refs, cands, {
        metrics: ['bleu', 'rouge', 'cider'],
        emptyCandidates: 'score-zero',
      });
      corpus[system.name] = scored.corpus as Record<string, number>;
      // the pictured test images first: they are the report's examples
      const ids = Object.keys(cands).sort(
        (a, b) => Number(examples.has(Number(b))) - Number(examples.has(Number(a))) || Number(a) - Number(b),
      );
      const evalDir = join(work, system.name);
      mkdirSync(evalDir);
      writeFileAtomic(
        join(evalDir, 'results.json'),
        JSON.stringify(ids.map((id) => ({ image_id: Number(id), caption: cands[id] }))),
      );
      writeFileAtomic(join(evalDir, 'per-image.json'), JSON.stringify(scored.perImage));
      writeFileAtomic(
        join(evalDir, 'scores.json'),
        JSON.stringify({ images: ids.length, corpus: scored.corpus, decoding: { source: system.file } }),
      );
      models.push({ name: system.name, runDirs: [], evalDir });
    }
    const images = new Map(
      options.withImages === true ? pictured.map((m) => [String(m.coco_id), join(sharedData, 'images', m.file)]) : [],
    );
    const path = writeReport({
      title: 'caption sample report: MAGIC and ZeroCap on the Karpathy COCO test split',
      out,
      models,
      references,
      images,
      numImages: pictured.length,
      environment: [
        [
          'captions',
          "yxuansu/MAGIC's released results (MAGIC: 4,982 images, ZeroCap: 5,000), ../shared/data/coco-caption",
        ],
        ['references', "each entry's 5 raw captions (the Karpathy test split of COCO val2014)"],
        [
          'scores',
          '@caption/metrics as coco-caption: PTB tokenizer, BLEU 1-4, ROUGE-L, CIDEr-D (no METEOR: no paraphrase table here)',
        ],
        ['made by', 'examples/common/src/sample-report.ts (no training; pictures left out of the committed copy)'],
      ],
    });
    return { out: path, corpus };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [shared, out] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  if (shared === undefined || out === undefined) {
    process.stderr.write('usage: sample-report.ts <shared data folder> <out.html> [--with-images]\n');
    process.exit(2);
  }
  const { out: path, corpus } = await writeSampleReport(shared, out, {
    withImages: process.argv.includes('--with-images'),
  });
  process.stdout.write(`${JSON.stringify(corpus)}\nwrote ${path}\n`);
}
