/**
 * Speed of `ptbTokenize` on the human leave-one-out case over all 40,504 COCO val2014 images (SOURCES.md):
 * 162,150 reference captions and 40,504 candidate captions, tokenized as COCOEvalCap does it (one call for
 * the references, one for the candidates). Prints the first (cold: grammar compilation and DFA construction
 * included) run, the median of the warm runs, and the ratio to the reference tokenizer time recorded in
 * `expected/oracle-timings.json` (two JVM calls of CoreNLP 3.4.1's PTBTokenizer on the same data).
 *
 * Run: `npx tsx bench/tokenizer.ts [runs]` in packages/metrics (needs ../shared/data or $CAPTION_SHARED_DATA).
 */
import { loadavg } from 'node:os';
import { median, timed } from '@caption/bench-support';
import { ptbTokenize } from '../src/tokenizer';
import { loadCases, loadOracleTimings } from './cases';

const humanCase = loadCases(['human_loo_val2014_40504'])[0];
if (humanCase === undefined)
  throw new Error('the human leave-one-out case needs ../shared/data (or $CAPTION_SHARED_DATA)');
const refs = humanCase.refs;
const cands = Object.fromEntries(Object.entries(humanCase.cands).map(([id, caption]) => [id, [caption]]));
const captionCount = Object.values(refs).reduce((n, list) => n + list.length, 0) + Object.keys(cands).length;

/** Wall-clock and CPU (user + system) seconds of one tokenization of the case. */
function timeOnce(): { wall: number; cpu: number } {
  const t = timed(() => {
    ptbTokenize(refs);
    ptbTokenize(cands);
  });
  return { wall: t.seconds, cpu: t.cpuSeconds };
}

const runs = Number(process.argv[2] ?? 7);
const cold = timeOnce();
const warm: { wall: number; cpu: number }[] = [];
for (let i = 0; i < runs; i++) warm.push(timeOnce());
const medianWall = median(warm.map((t) => t.wall));
const medianCpu = median(warm.map((t) => t.cpu));
const tokenizerTiming = loadOracleTimings()?.cases.human_loo_val2014_40504?.tokenizer;
const reference = typeof tokenizerTiming === 'object' ? tokenizerTiming.median : Number.NaN;

console.log(`ptbTokenize, human leave-one-out val2014: ${Object.keys(cands).length} images, ${captionCount} captions`);
console.log(
  `  cold (first call, includes building the lexer): ${cold.wall.toFixed(3)} s wall, ${cold.cpu.toFixed(3)} s CPU`,
);
console.log(
  `  warm median of ${runs}: ${medianWall.toFixed(3)} s wall (${Math.round(captionCount / medianWall)} captions/s), ` +
    `${medianCpu.toFixed(3)} s CPU`,
);
console.log(`  reference (CoreNLP 3.4.1 jar, 2 JVM calls, oracle-timings.json): ${reference.toFixed(3)} s wall`);
console.log(
  `  speed-up (wall): ${(reference / medianWall).toFixed(1)}x warm, ${(reference / cold.wall).toFixed(1)}x cold`,
);
console.log(`  load average now: ${loadavg()[0]?.toFixed(1)} (wall times are only meaningful on an idle machine)`);
