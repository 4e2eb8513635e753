import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // lists skipped tests; under CI=true a skipped test fails the run
    reporters: ['default', '@caption/test-support/ci-reporter'],
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
