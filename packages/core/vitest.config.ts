import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // lists skipped tests; under CI=true a skipped test fails the run
    reporters: ['default', '@caption/test-support/ci-reporter'],
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test-setup.ts'],
    testTimeout: 60_000,
    // tfjs-core's gradient and chained-op registrations are ES modules with extension-less imports, which Node
    // cannot load: vite transforms them (src/nn/tfjs-gradients.ts; tsup bundles them for dist)
    server: { deps: { inline: [/@tensorflow\/tfjs-core\/dist\/(?!tf-core)/] } },
  },
});
