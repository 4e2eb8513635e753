/**
 * `npm run bench:layer-norm -w @caption/core`: one layer norm's forward and backward pass (`dx`, `dgain`, `dshift`
 * of `sum(y · w)`) on wasm, through its two fused kernels (`layerNorm`) and through the stock ops they replace
 * (`layerNormInStockOps`), in alternating rounds in this one process; medians of wall and CPU time per call.
 *
 * Options: --rounds=5 (alternations per shape) --threads=1 (wasm threads)
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadAverageText, markdownTable, median, timed } from '@caption/bench-support';
import { initBackend } from '../src/backend/init-backend';
import type { LayerNormVariant } from '../src/backend/kernels/layer-norm';
import { layerNorm, layerNormInStockOps } from '../src/backend/ops/layer-norm';

/** rows, features, variant: AoANet's demo (width 64: refiner, decoder query), GPT-2 small's width */
const SHAPES: Array<[number, number, LayerNormVariant]> = [
  [50, 64, 'annotated'],
  [900, 64, 'annotated'],
  [512, 768, 'standard'],
  [4096, 768, 'standard'],
];

async function main(): Promise<void> {
  const args = Object.fromEntries(
    process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]),
  );
  const rounds = Number(args['rounds'] ?? 5);
  await initBackend('wasm', { quiet: true, threads: Number(args['threads'] ?? 1) });
  const load = loadAverageText();
  const rows: string[][] = [];
  for (const [count, features, variant] of SHAPES) {
    const [x, gain, shift, w] = [[count, features], [features], [features], [count, features]].map((s) =>
      tf.randomNormal(s),
    ) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const options = { variant, eps: 1e-5 };
    const ways = { fused: layerNorm, stock: layerNormInStockOps };
    const pass = (fn: typeof layerNorm) =>
      tf.tidy(() => {
        const loss = (a: tf.Tensor, g: tf.Tensor, s: tf.Tensor) => tf.sum(tf.mul(fn(a, g, s, options), w));
        for (const grad of tf.grads(loss)([x, gain, shift])) grad.dataSync();
      });
    const calls = Math.max(3, Math.round(2e6 / (count * features)));
    const wall: Record<string, number[]> = { fused: [], stock: [] };
    const cpu: Record<string, number[]> = { fused: [], stock: [] };
    for (let round = 0; round < rounds; round++) {
      for (const [name, fn] of Object.entries(ways)) {
        pass(fn); // warm-up
        const t = timed(() => {
          for (let i = 0; i < calls; i++) pass(fn);
        });
        wall[name]!.push(t.wallMs / calls);
        cpu[name]!.push(t.cpuMs / calls);
      }
    }
    const ms = (v: number[]) => median(v).toFixed(3);
    rows.push([
      `[${count}, ${features}] ${variant}`,
      ms(wall['stock']!),
      ms(wall['fused']!),
      (median(wall['fused']!) / median(wall['stock']!)).toFixed(2),
      ms(cpu['stock']!),
      ms(cpu['fused']!),
    ]);
    tf.dispose([x, gain, shift, w]);
  }
  console.log(`layer norm forward + backward on wasm, medians of ${rounds} rounds; load average ${load}`);
  console.log(
    markdownTable(
      ['x, variant', 'stock ops, ms', 'fused, ms', 'fused / stock', 'stock ops, CPU ms', 'fused, CPU ms'],
      rows,
    ),
  );
  console.log(`load average after: ${loadAverageText()}`);
}

await main();
