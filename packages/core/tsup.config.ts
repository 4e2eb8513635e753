import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // tfjs-core's gradient and chained-op registrations are ES modules Node cannot load from the package: bundle them
  // (they register into tfjs-core's global registries; see src/nn/tfjs-gradients.ts)
  noExternal: [/^@tensorflow\/tfjs-core\/dist\//],
});
