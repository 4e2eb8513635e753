/**
 * WMD speed: `wmd()` on the 40,504-image val2014 leave-one-out case (PTB tokens, the GloVe subset of
 * ../shared/data/word-vectors), median of `--runs`; with `--reference-python PYTHON` (gensim 4.2 + pyemd, e.g.
 * Debian's /usr/bin/python3) also coco-caption's scorer loop on the first `--reference-images` images, and ours
 * on the same images in the same run, with the ratio.
 *
 *   npm run bench:wmd -w @caption/metrics [-- --runs 3 --reference-python /usr/bin/python3 --reference-images 4000]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatSeconds, loadAverageText, median, timedAsync } from '@caption/bench-support';
import { sharedData, sharedSkipReason } from '@caption/test-support';
import { Command } from 'commander';
import { WMD_STOP_WORDS, loadWordVectors, ptbTokenize, withoutStopWords, wmd } from '../src/index';
import { loadCases } from './cases';

const VECTORS = 'word-vectors/glove.6B.100d.caption-vocab.txt.gz';

interface Options {
  runs: string;
  referencePython?: string;
  referenceImages: string;
}

async function main(): Promise<void> {
  const options = new Command('bench:wmd')
    .option('--runs <n>', 'timed runs of our scorer on the whole case', '3')
    .option('--reference-python <python>', 'a python3 with gensim 4.2 + pyemd: also time the reference')
    .option('--reference-images <n>', 'images the reference scores (it takes minutes on all)', '4000')
    .parse(process.argv)
    .opts<Options>();
  const skip = sharedSkipReason([VECTORS]);
  const [bench] = loadCases(['human_loo_val2014_40504']);
  if (skip !== null || bench === undefined) {
    console.log(`bench:wmd skipped: ${skip ?? 'the val2014 leave-one-out files are missing'}`);
    return;
  }
  console.log(
    `bench:wmd ${new Date().toISOString()} node ${process.version}, ${cpus().length} CPUs, load ${loadAverageText()}`,
  );
  const refs = ptbTokenize(bench.refs);
  const candLists = ptbTokenize(Object.fromEntries(Object.entries(bench.cands).map(([id, c]) => [id, [c]])));
  const cands = Object.fromEntries(Object.entries(candLists).map(([id, list]) => [id, list[0] as string]));
  const ids = Object.keys(cands);
  const words = new Set<string>();
  for (const id of ids) {
    for (const w of withoutStopWords(cands[id] as string)) words.add(w);
    for (const r of refs[id] as string[]) for (const w of withoutStopWords(r)) words.add(w);
  }
  const path = sharedData().path(VECTORS);
  const load = await timedAsync(() => loadWordVectors(path, { words }));
  const vectors = load.value;
  console.log(`vectors: ${vectors.size} of the captions' ${words.size} words, read in ${formatSeconds(load.seconds)}`);
  const runs: number[] = [];
  let score = 0;
  for (let r = 0; r < Number(options.runs); r++) {
    const run = await timedAsync(() => wmd(refs, cands, { wordVectors: vectors }));
    runs.push(run.seconds);
    score = run.value.score;
    console.log(`  run ${r + 1}: ${formatSeconds(run.seconds)} (load ${loadAverageText()})`);
  }
  console.log(
    `ours, ${ids.length} images (${ids.length * 5} reference pairs): median ${formatSeconds(median(runs))}, WMD ${score}`,
  );

  if (options.referencePython !== undefined) {
    const n = Math.min(Number(options.referenceImages), ids.length);
    const subset = ids.slice(0, n);
    const subRefs = Object.fromEntries(subset.map((id) => [id, refs[id] as string[]]));
    const subCands = Object.fromEntries(subset.map((id) => [id, cands[id] as string]));
    const ours = await timedAsync(() => wmd(subRefs, subCands, { wordVectors: vectors }));
    const dir = mkdtempSync(join(tmpdir(), 'caption-bench-wmd-'));
    try {
      const input = join(dir, 'input.json');
      writeFileSync(
        input,
        JSON.stringify({ stop_words: [...WMD_STOP_WORDS], ids: subset, refs: subRefs, cands: subCands }),
      );
      const script = fileURLToPath(new URL('./wmd-reference.py', import.meta.url));
      const out = spawnSync(options.referencePython, [script, input, path], { encoding: 'utf8' });
      if (out.status !== 0) throw new Error(`reference failed: ${out.stderr}`);
      const ref = JSON.parse(out.stdout) as { load_s: number; score_s: number; corpus: number };
      console.log(
        `same run, first ${n} images: gensim 4.2 + pyemd ${formatSeconds(ref.score_s)} (vectors ${formatSeconds(ref.load_s)}), ours ${formatSeconds(ours.seconds)}: ${(ref.score_s / ours.seconds).toFixed(1)}× (corpus ${ref.corpus} vs ${ours.value.score}; load ${loadAverageText()})`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

void main();
