/**
 * Agreement of each metric with human judgement: caption-level Kendall τ (τ_b and τ_c) between the metric and
 * the Flickr8k Expert (5,822 image–caption pairs, 3 experts, 1–4) and CrowdFlower (47,830 pairs, share of
 * "yes" votes) judgements (Hodosh et al. 2013), with the protocol of the SPICE paper (Anderson et al., ECCV
 * 2016, Table 4): each judged caption is scored against the image's Flickr8k captions, leaving the judged
 * caption out when it is one of them. Printed beside that paper's Flickr 8K row.
 *
 *   npm run bench:human -w @caption/metrics [-- --json FILE --scores FILE --crowdflower-limit N]
 *
 * Data: ../shared/data/flickr8k; METEOR with ../shared/data/meteor (no paraphrase table); WMD with the GloVe
 * subset of ../shared/data/word-vectors (coco-caption uses GoogleNews vectors); SPICE when its jar is found
 * (CAPTION_SPICE_JAR or a pycocoevalcap installation, with Java), else left out and said so.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { sharedData, sharedSkipReason } from '@caption/test-support';
import { loadAverageText, markdownTable } from '@caption/bench-support';
import { Command } from 'commander';
import { availableMetrics, evaluate, kendallTau, type CocoScoreName, type MetricName } from '../src/index';

const FILES = [
  'flickr8k/ExpertAnnotations.txt',
  'flickr8k/CrowdFlowerAnnotations.txt.gz',
  'flickr8k/Flickr8k.token.txt.gz',
  'meteor/function/english.words',
  'word-vectors/glove.6B.100d.caption-vocab.txt.gz',
];

/** The SPICE paper's Table 4, Flickr 8K row (τ, expert judgements). */
const PAPER: Partial<Record<CocoScoreName, number>> = {
  Bleu_1: 0.32,
  Bleu_4: 0.14,
  ROUGE_L: 0.32,
  METEOR: 0.42,
  CIDEr: 0.44,
  SPICE: 0.45,
};

const KEYS: CocoScoreName[] = ['Bleu_1', 'Bleu_4', 'ROUGE_L', 'METEOR', 'CIDEr', 'SPICE', 'WMD'];
const BLEU4_UNSMOOTHED = 'Bleu_4, 0 without a matching 4-gram (diagnostic)';

interface Judgement {
  image: string;
  caption: string; // caption id: <file>#<n>
  human: number;
}

interface Options {
  json?: string;
  scores?: string;
  crowdflowerLimit?: string;
}

async function main(): Promise<void> {
  const options = new Command('bench:human')
    .option('--json <file>', 'write the table as JSON')
    .option('--scores <file>', 'write every pair with its human and metric scores (for a scipy cross-check)')
    .option('--crowdflower-limit <n>', 'use only the first N CrowdFlower pairs')
    .parse(process.argv)
    .opts<Options>();
  const skip = sharedSkipReason(FILES);
  if (skip !== null) {
    console.log(`bench:human skipped: ${skip}`);
    return;
  }
  const data = sharedData();
  const captions = new Map<string, string>();
  const imageCaptions = new Map<string, string[]>();
  for (const line of data.readText('flickr8k/Flickr8k.token.txt.gz').split('\n')) {
    if (line.trim() === '') continue;
    const [id, text] = line.split('\t') as [string, string];
    captions.set(id, text.replace(/\r$/, ''));
    const image = id.slice(0, id.indexOf('#'));
    const list = imageCaptions.get(image) ?? [];
    list.push(id);
    imageCaptions.set(image, list);
  }
  const read = (file: string, human: (cols: string[]) => number): Judgement[] =>
    data
      .readText(file)
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => {
        const cols = line.split('\t');
        return { image: cols[0] as string, caption: cols[1] as string, human: human(cols) };
      });
  const expert = read('flickr8k/ExpertAnnotations.txt', (c) => (Number(c[2]) + Number(c[3]) + Number(c[4])) / 3);
  let crowd = read('flickr8k/CrowdFlowerAnnotations.txt.gz', (c) => Number(c[2]));
  if (options.crowdflowerLimit !== undefined) crowd = crowd.slice(0, Number(options.crowdflowerLimit));

  const metricOptions = {
    meteorData: data.path('meteor'),
    meteorParaphrase: false as const,
    wordVectors: data.path('word-vectors/glove.6B.100d.caption-vocab.txt.gz'),
  };
  const metrics = availableMetrics(metricOptions);
  const notRun = (['spice'] as MetricName[]).filter((name) => !metrics.includes(name));
  console.log(
    `bench:human ${new Date().toISOString()} node ${process.version}, ${cpus().length} CPUs, load ${loadAverageText()}`,
  );
  console.log(
    `metrics: ${metrics.join(', ')}${notRun.length > 0 ? `; not run: ${notRun.join(', ')} (spice-1.0.jar with its lib/ not found)` : ''}`,
  );

  const table: Record<string, Record<string, { tauB: number; tauC: number; n: number }>> = {};
  const pairsOut: Record<string, unknown[]> = {};
  for (const [name, judgements] of [
    ['Expert', expert],
    ['CrowdFlower', crowd],
  ] as const) {
    const refs: Record<string, string[]> = {};
    const cands: Record<string, string> = {};
    let leftOut = 0;
    judgements.forEach((j, i) => {
      const caption = captions.get(j.caption);
      const own = imageCaptions.get(j.image);
      if (caption === undefined || own === undefined)
        throw new Error(`${name}: unknown caption ${j.caption} or image ${j.image}`);
      const kept = own.filter((id) => id !== j.caption);
      if (kept.length < own.length) leftOut += 1;
      refs[String(i)] = kept.map((id) => captions.get(id) as string);
      cands[String(i)] = caption;
    });
    const started = performance.now();
    const result = await evaluate(refs, cands, { ...metricOptions, metrics, emptyCandidates: 'score-zero' });
    const seconds = (performance.now() - started) / 1000;
    const human = judgements.map((j) => j.human);
    table[name] = {};
    for (const key of KEYS) {
      if (result.corpus[key] === undefined) continue;
      const scores = result.imageIds.map((id) => result.perImage[id]?.[key] as number);
      table[name][key] = kendallTau(scores, human);
    }
    // Diagnostic: coco-caption's per-image BLEU-4 is smoothed (its tiny/small guards), so captions without a
    // matching 4-gram still differ (below 1e-3) by their lower orders; unsmoothed, they would all be 0 (ties).
    const unsmoothed = result.imageIds.map((id) => {
      const value = result.perImage[id]?.Bleu_4 as number;
      return value < 1e-3 ? 0 : value;
    });
    table[name][BLEU4_UNSMOOTHED] = kendallTau(unsmoothed, human);
    pairsOut[name] = judgements.map((j, i) => ({ ...j, ...result.perImage[String(i)] }));
    console.log(
      `${name}: ${judgements.length} pairs (${leftOut} judged captions left out of their own image's references) scored in ${seconds.toFixed(1)} s (load ${loadAverageText()})`,
    );
  }

  const cell = (value: number | undefined): string => (value === undefined ? '–' : value.toFixed(3));
  const rows = [...KEYS, BLEU4_UNSMOOTHED].map((key) => [
    key,
    cell(PAPER[key as CocoScoreName]),
    cell(table.Expert?.[key]?.tauB),
    cell(table.Expert?.[key]?.tauC),
    cell(table.CrowdFlower?.[key]?.tauB),
    cell(table.CrowdFlower?.[key]?.tauC),
  ]);
  console.log();
  console.log(
    markdownTable(
      ['metric', 'SPICE paper, Flickr 8K (τ)', 'Expert τ_b', 'Expert τ_c', 'CrowdFlower τ_b', 'CrowdFlower τ_c'],
      rows,
    ),
  );
  if (options.json !== undefined)
    writeFileSync(options.json, `${JSON.stringify({ metrics, notRun, table }, null, 1)}\n`);
  if (options.scores !== undefined) writeFileSync(options.scores, JSON.stringify(pairsOut));
}

void main();
