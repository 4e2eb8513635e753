/**
 * vitest setup file (see vitest.config.ts): every core test file runs on the wasm backend with our
 * kernels, the default and tested backend. A test that needs another backend switches inside itself.
 */
import { beforeAll } from 'vitest';
import { initBackend } from './backend/init-backend';

beforeAll(async () => {
  await initBackend('wasm', { quiet: true });
});
