import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: ['src/index.ts', 'src/cli.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: false, // two builds write dist/ at once; cleaning in one could race the other
    target: 'es2022',
  },
  {
    // The browser bundle (`@caption/metrics/browser`): one ES module with its dependencies inside, for a page or
    // a Web Worker without a bundler. jieba-wasm's web build is inside too; its .wasm file is fetched at run time
    // (loadJieba's `wasm` option says from where; see examples/metrics-web).
    entry: { browser: 'src/index.ts' },
    format: ['esm'],
    platform: 'browser',
    noExternal: [/.*/],
    splitting: false,
    sourcemap: true,
    clean: false,
    target: 'es2022',
  },
]);
