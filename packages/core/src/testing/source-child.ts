/**
 * How a test or a bench script starts a child Node process that runs core's TypeScript source (not the built dist);
 * not part of the package's API.
 */
import { fileURLToPath } from 'node:url';

/**
 * Node arguments before the script: tsx for TypeScript, and the resolution hook that tfjs-core's ES module tree
 * (imported for its gradient registrations) needs outside vitest and tsup (see tfjs-core-esm-resolve.mjs).
 */
export const SOURCE_CHILD_NODE_ARGS: readonly string[] = [
  '--import',
  'tsx',
  '--import',
  fileURLToPath(new URL('./tfjs-core-esm.mjs', import.meta.url)),
];
