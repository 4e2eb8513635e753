import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // lists skipped tests; under CI=true a skipped test fails the run
    reporters: ['default', '@caption/test-support/ci-reporter'],
    include: ['src/**/*.test.ts'],
    // the pipeline test trains tiny CLIPs and captioners in child processes (slow when the machine is loaded)
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
