/**
 * Seeded random numbers with a saveable state for the loader (shuffling, caption choice, random crops): the
 * repository's one generator, `tooling/random/random.ts`, bundled into this package's build (this package
 * imports no tensor library, so not `@caption/core`, which re-exports the same source).
 */
export { Random, type RandomState } from '../../../tooling/random/random';
