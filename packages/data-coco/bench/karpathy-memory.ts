/** Child process of bench/index.ts: reads a Karpathy file one way and prints time and memory as JSON. */
import { timedAsync } from '@caption/bench-support';
import { readKarpathyDataset } from '../src/index.js';

const [mode, path] = process.argv.slice(2) as [string, string];
let peak = 0;
const timer = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 20);
const { value: dataset, seconds } = await timedAsync(() =>
  readKarpathyDataset(path, {
    streamAboveBytes: mode === 'parse-at-once' ? Number.MAX_SAFE_INTEGER : 0,
    keepRaw: mode !== 'stream-no-raw',
  }),
);
peak = Math.max(peak, process.memoryUsage().rss);
clearInterval(timer);
(globalThis as { gc?: () => void }).gc?.();
const heapMb = process.memoryUsage().heapUsed / 1e6;
console.log(JSON.stringify({ images: dataset.images.length, seconds, peakRssMb: peak / 1e6, heapMb }));
