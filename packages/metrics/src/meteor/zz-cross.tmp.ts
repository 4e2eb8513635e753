import { readFileSync } from 'node:fs';
import { MeteorScorer } from './scorer';
import { formatMeteorStats } from './stats';
import { ParaphraseTable } from './paraphrase-table';
import { gunzipSync } from 'node:zlib';
const dir = '/work/shared/data/meteor/';
const files = {
  functionWords: readFileSync(dir + 'function/english.words', 'utf8'),
  nonbreakingPrefixes: readFileSync(dir + 'nonbreaking/english.prefixes', 'utf8'),
  synsets: readFileSync(dir + 'synonym/english.synsets', 'utf8'),
  exceptions: readFileSync(dir + 'synonym/english.exceptions', 'utf8'),
};
const para = process.argv[3] ? ParaphraseTable.fromText(gunzipSync(readFileSync(process.argv[3])).toString('utf8')) : null;
const scorer = new MeteorScorer(files, para);
const name = process.argv[2]!;
const d = JSON.parse(readFileSync(`/tmp/mtest/${name}.java.json`, 'utf8'));
const refs: Record<string, string[]> = {}; const cands: Record<string, string> = {};
d.ids.forEach((id: string, k: number) => { refs[id] = d.refs[k]; cands[id] = d.cands[k]; });
const c0 = process.cpuUsage(); const t = performance.now();
const r = scorer.score(refs, cands);
const ms = performance.now() - t; const cpu = process.cpuUsage(c0); console.log("cpu ms", ((cpu.user + cpu.system) / 1000).toFixed(0));
let bad = 0; let maxd = 0;
d.ids.forEach((id: string, k: number) => {
  const s = formatMeteorStats(r.stats[id]!);
  if (s !== d.stats[k]) { bad++; if (bad < 4) console.log(id, '\n ours ', s, '\n java ', d.stats[k], '\n', JSON.stringify(cands[id]), JSON.stringify(refs[id])); }
  maxd = Math.max(maxd, Math.abs(r.perImage[id]! - d.scores[k]));
});
console.log(name, d.ids.length, 'images; ms', ms.toFixed(0), 'stats mismatches', bad, 'max per-image diff', maxd, 'corpus diff', r.score - d.corpus);
console.log('adds', (globalThis as {__adds?: number}).__adds);
