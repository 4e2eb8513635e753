/**
 * Compares the TypeScript METEOR with the jar's output written by jar-crosscheck.py: every image's statistics
 * line, per-image scores and the corpus score.
 *
 *   npx tsx scripts/meteor/crosscheck.ts /tmp/meteor-crosscheck [--paraphrase table.gz]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { formatMeteorStats, loadMeteorScorer } from '../../src/index';

interface JarOutput {
  ids: string[];
  cands: string[];
  refs: string[][];
  stats: string[];
  scores: number[];
  corpus: number;
}

const program = new Command('meteor-crosscheck')
  .argument('<folder>', 'where jar-crosscheck.py wrote its <case>.java.json files')
  .option('--data <path>', 'METEOR data', '../../../shared/data/meteor')
  .option('--paraphrase <file>', 'paraphrase table the jar was given (default: none)')
  .parse(process.argv);
const folder = program.args[0] as string;
const options = program.opts<{ data: string; paraphrase?: string }>();
const scorer = await loadMeteorScorer({
  meteorData: options.data,
  meteorParaphrase: options.paraphrase ?? false,
  meteorCache: false,
});
let failures = 0;
for (const file of readdirSync(folder)
  .filter((f) => f.endsWith('.java.json'))
  .sort()) {
  const jar = JSON.parse(readFileSync(join(folder, file), 'utf8')) as JarOutput;
  const refs: Record<string, string[]> = {};
  const cands: Record<string, string> = {};
  jar.ids.forEach((id, k) => {
    refs[id] = jar.refs[k] as string[];
    cands[id] = jar.cands[k] as string;
  });
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const result = scorer.score(refs, cands);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  let mismatches = 0;
  let largest = 0;
  jar.ids.forEach((id, k) => {
    if (formatMeteorStats(result.stats[id]!) !== jar.stats[k]) mismatches++;
    largest = Math.max(largest, Math.abs((result.perImage[id] as number) - (jar.scores[k] as number)));
  });
  const corpus = Math.abs(result.score - jar.corpus);
  if (mismatches > 0 || largest > 1e-12 || corpus > 1e-12) failures++;
  console.log(
    `${file}: ${jar.ids.length} images, statistics ` +
      `lines differing ${mismatches}, largest per-image ` +
      `difference ${largest.toExponential(2)}, corpus ` +
      `difference ${corpus.toExponential(2)} (scored in ${seconds.toFixed(2)} s, ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU)`,
  );
}
process.exitCode = failures === 0 ? 0 : 1;
