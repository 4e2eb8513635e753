import { defineConfig } from 'tsup';
import { browserBundleConfig, libraryConfig } from '../../tooling/tsup/library';

export default defineConfig([
  // two builds write dist/ at once; cleaning in one could race the other.
  // ptb-worker: the program of caption-eval's tokenizer threads (src/tokenizer/ptb-parallel.ts)
  libraryConfig(
    { index: 'src/index.ts', cli: 'src/cli.ts', 'ptb-worker': 'src/tokenizer/ptb-worker.ts' },
    { clean: false },
  ),
  // `@caption/metrics/browser`: jieba-wasm's web build is inside too; its .wasm file is fetched at run time
  // (loadJieba's `wasm` option says from where; see examples/metrics-web)
  browserBundleConfig({ browser: 'src/index.ts' }),
]);
