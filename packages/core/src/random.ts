/**
 * Seeded random numbers with a saveable state: the repository's one generator, `tooling/random/random.ts`
 * (bundled into this package's build; `@caption/data-coco` re-exports the same source).
 */
export { Random, type RandomState } from '../../../tooling/random/random';
