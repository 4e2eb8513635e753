/**
 * The build of every published package, defined once: ESM + CJS + `.d.ts` (DESIGN §1), source maps, ES2022.
 * A package's `tsup.config.ts` names only its entry files (and, where it needs one, what it bundles).
 */
import type { Options } from 'tsup';

/** What a package may add to the shared build. */
export interface LibraryOptions {
  /** Dependencies bundled into `dist` rather than imported at run time (core: tfjs-core's ES-module registrations). */
  readonly noExternal?: Options['noExternal'];
  /** Empty `dist` first (default true); false when a second build (a browser bundle) writes `dist` at the same time. */
  readonly clean?: boolean;
  /** Shim `import.meta.url` in the CommonJS build (core locates tfjs-backend-wasm's binary and its thread worker). */
  readonly shims?: boolean;
}

function isEntryList(entry: readonly string[] | Readonly<Record<string, string>>): entry is readonly string[] {
  return Array.isArray(entry);
}

/**
 * `CAPTION_BUILD_JS_ONLY=1` (what `npm run demo` builds with): ESM + CJS without the `.d.ts`, whose type-checked
 * build costs most of the build's time and which running the examples does not need. turbo hashes the variable
 * (`turbo.json`), so a full build never replays such an output.
 */
const jsOnly = process.env['CAPTION_BUILD_JS_ONLY'] === '1';

/**
 * The tsup options of a published package with these entry files (`src/index.ts`, a CLI entry...), given as a list
 * or as output names (`{ 'ptb-worker': 'src/tokenizer/ptb-worker.ts' }` writes `dist/ptb-worker.js`).
 */
export function libraryConfig(
  entry: readonly string[] | Readonly<Record<string, string>>,
  options: LibraryOptions = {},
): Options {
  return {
    entry: isEntryList(entry) ? [...entry] : { ...entry },
    format: ['esm', 'cjs'],
    dts: !jsOnly,
    sourcemap: true,
    clean: options.clean ?? true,
    target: 'es2022',
    ...(options.noExternal === undefined ? {} : { noExternal: options.noExternal }),
    ...(options.shims === true ? { shims: true } : {}),
  };
}

/**
 * A browser bundle: one ES module per named entry with every dependency inside, for a page or a Web Worker without a
 * bundler. It shares `dist` with the library build, so it never cleans it.
 */
export function browserBundleConfig(entry: Readonly<Record<string, string>>): Options {
  return {
    entry: { ...entry },
    format: ['esm'],
    platform: 'browser',
    noExternal: [/.*/],
    splitting: false,
    sourcemap: true,
    clean: false,
    target: 'es2022',
  };
}
