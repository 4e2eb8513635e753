import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // the 40-image nsfwjs test takes about 25 s on an idle machine; the machine is shared
    testTimeout: 240_000,
    hookTimeout: 120_000,
  },
});
