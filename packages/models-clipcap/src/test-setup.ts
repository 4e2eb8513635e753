/** vitest setup file: every test file runs on core's wasm backend (the default, with its kernels). */
import { initBackend } from '@caption/core';
import { beforeAll } from 'vitest';

beforeAll(async () => {
  await initBackend('wasm', { quiet: true });
});
