import { defineConfig } from 'vitest/config';

/**
 * Two projects, both run by `npm test` (`vitest run`):
 * - `node`: every `src/**\/*.test.ts` (parity on the shared data, CLI, errors);
 * - `edge-runtime`: `src/**\/*.edge.test.ts` in vitest's edge-runtime environment (Web globals of a
 *   Vercel-style edge runtime, `EdgeRuntime` defined), scoring inline data.
 */
export default defineConfig({
  test: {
    // lists skipped tests; under CI=true a skipped test fails the run
    reporters: ['default', '@caption/test-support/ci-reporter'],
    testTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: { name: 'node', environment: 'node', include: ['src/**/*.test.ts'], exclude: ['src/**/*.edge.test.ts'] },
      },
      {
        extends: true,
        test: { name: 'edge-runtime', environment: 'edge-runtime', include: ['src/**/*.edge.test.ts'] },
      },
    ],
  },
});
