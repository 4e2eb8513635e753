/**
 * Detection of the optional native backends `@tensorflow/tfjs-node-gpu` and `@tensorflow/tfjs-node`.
 *
 * Both are optional peer dependencies: nothing installs them, and their install script downloads
 * libtensorflow, which fails offline. So an import can fail in two ways that must be told apart:
 * the package is absent (normal: stay silent), or it is installed but unusable (its native addon was
 * never built, CUDA libraries are missing, it brought its own copy of tfjs-core): worth one warning.
 */
import * as tfc from '@tensorflow/tfjs-core';

/** The two native packages, in the order `auto` tries them. */
export type NativePackage = '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node';

/** Outcome of trying to load a native package. */
export type NativeLoadResult =
  | { status: 'absent'; packageName: NativePackage }
  | { status: 'broken'; packageName: NativePackage; reason: string }
  | { status: 'loaded'; packageName: NativePackage };

/** Imports a module by name; injectable so that tests can simulate each failure. */
export type ModuleImporter = (specifier: string) => Promise<unknown>;

/** The default importer: a dynamic `import()` the bundler leaves alone (the specifier is a variable). */
export const dynamicImport: ModuleImporter = (specifier) => import(/* @vite-ignore */ specifier);

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * Whether an import error says that `packageName` itself is not installed, as opposed to the package
 * being there and failing to load something it needs (a missing file or dependency, an unbuilt addon).
 * Recognises Node's ESM (`Cannot find package 'x'`) and CJS (`Cannot find module 'x'`) messages and
 * Vite's (`Could not resolve "x"`, when running under vitest).
 */
export function isAbsentPackageError(error: unknown, packageName: string): boolean {
  const name = escapeRegExp(packageName);
  const pattern = new RegExp(`^(Cannot find (package|module)|Could not resolve) ['"]${name}['"]`);
  return pattern.test(firstLine(error));
}

/**
 * Imports a native tfjs package and checks that it registered the `tensorflow` backend in *our*
 * tfjs-core (the same module, the same version): a second copy of tfjs-core would keep our kernels,
 * gradients and tensors apart from its backend.
 */
export async function loadNativeBackend(
  packageName: NativePackage,
  importer: ModuleImporter = dynamicImport,
): Promise<NativeLoadResult> {
  let loaded: unknown;
  try {
    loaded = await importer(packageName);
  } catch (error) {
    if (isAbsentPackageError(error, packageName)) return { status: 'absent', packageName };
    return { status: 'broken', packageName, reason: firstLine(error) };
  }
  const module = (loaded ?? {}) as { version_core?: unknown; Tensor?: unknown; default?: { Tensor?: unknown } };
  const theirTensor = module.Tensor ?? module.default?.Tensor;
  if (theirTensor !== undefined && theirTensor !== tfc.Tensor) {
    const theirVersion = typeof module.version_core === 'string' ? module.version_core : 'unknown';
    return {
      status: 'broken',
      packageName,
      reason:
        `it uses another copy of @tensorflow/tfjs-core (${theirVersion}) than @caption/core (${tfc.version_core}); ` +
        `install every @tensorflow/* package at exactly ${tfc.version_core} and check \`npm ls @tensorflow/tfjs-core\``,
    };
  }
  if (tfc.findBackendFactory('tensorflow') == null) {
    return {
      status: 'broken',
      packageName,
      reason: `it loaded but registered no 'tensorflow' backend in @tensorflow/tfjs-core ${tfc.version_core}`,
    };
  }
  return { status: 'loaded', packageName };
}
