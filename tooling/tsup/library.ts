/**
 * The build of every published package, defined once: ESM + CJS + `.d.ts` (DESIGN §1), source maps, ES2022.
 * A package's `tsup.config.ts` names only its entry files.
 */
import type { Options } from 'tsup';

/** The tsup options of a published package with these entry files (`src/index.ts`, a CLI entry...). */
export function libraryConfig(entry: readonly string[]): Options {
  return { entry: [...entry], format: ['esm', 'cjs'], dts: true, sourcemap: true, clean: true, target: 'es2022' };
}
