// Preload (`--import`) for test child processes that run core's TypeScript source: installs the resolution hook of
// ./tfjs-core-esm-resolve.mjs (why: see there). Not needed for the built package, nor under vitest.
import { register } from 'node:module';

register('./tfjs-core-esm-resolve.mjs', import.meta.url);
