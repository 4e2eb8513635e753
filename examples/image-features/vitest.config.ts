import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // lists skipped tests; under CI=true a skipped test fails the run
    reporters: ['default', '@caption/test-support/ci-reporter'],
    include: ['src/**/*.test.ts'],
    // the 40-image nsfwjs test takes about 25 s on an idle machine; the machine is shared
    testTimeout: 240_000,
    hookTimeout: 120_000,
  },
});
