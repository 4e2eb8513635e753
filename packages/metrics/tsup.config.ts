import { defineConfig } from 'tsup';
import { browserBundleConfig, libraryConfig } from '../../tooling/tsup/library';

export default defineConfig([
  // two builds write dist/ at once; cleaning in one could race the other
  libraryConfig(['src/index.ts', 'src/cli.ts'], { clean: false }),
  // `@caption/metrics/browser`: jieba-wasm's web build is inside too; its .wasm file is fetched at run time
  // (loadJieba's `wasm` option says from where; see examples/metrics-web)
  browserBundleConfig({ browser: 'src/index.ts' }),
]);
