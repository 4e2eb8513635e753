import { defineConfig } from 'tsup';

export default defineConfig({
  // ptb-worker: the program of caption-eval's tokenizer threads (src/tokenizer/ptb-parallel.ts)
  entry: { index: 'src/index.ts', cli: 'src/cli.ts', 'ptb-worker': 'src/tokenizer/ptb-worker.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
});
