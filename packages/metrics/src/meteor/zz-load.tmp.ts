import { loadParaphraseTable } from './node-data';
const c0 = process.cpuUsage(); const t = performance.now();
const r = await loadParaphraseTable('/tmp/caption-meteor-bench/synthetic-paraphrase-en-3200000.gz', false);
const c = process.cpuUsage(c0);
console.log('parse wall', (performance.now() - t).toFixed(0), 'cpu', ((c.user + c.system) / 1000).toFixed(0), r.table.stats.entries);
