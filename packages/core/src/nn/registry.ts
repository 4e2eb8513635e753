/**
 * Class registry for {@link moduleFromJSON}: rebuilds a module (fresh weights) from `{ className, config }`.
 * Containers such as `Sequential` use it for their children. Nothing registers itself on import: each package
 * lists its classes once, in its `index.ts` (core's are in `core-modules.ts`), and calls
 * {@link registerModuleClass} with that list, as tfjs-layers' `serialization.registerClass` does.
 */
import { ModuleError } from './errors';
import type { Module, ModuleJSON, ModuleOptions } from './module';

/** What the registry needs of a module class: its static `className` and `fromConfig` (Module's generic one). */
export interface ModuleClass {
  /** The name {@link moduleFromJSON} finds the class under. */
  readonly className: string;
  /** A new module (fresh weights) with `config`. */
  fromConfig(config: never, options?: ModuleOptions): Module;
}

const classes = new Map<string, ModuleClass>();

/**
 * Makes each class reachable from {@link moduleFromJSON} under its static `className`. Registering a name
 * again replaces the earlier class (useful for hot reload); names are global, so packages prefix theirs
 * (`aoa.Refiner`).
 *
 * @throws {ModuleError} for a class whose `className` is still the base class's `'Module'`
 */
export function registerModuleClass(...moduleClasses: ModuleClass[]): void {
  for (const moduleClass of moduleClasses) {
    if (moduleClass.className === 'Module') {
      throw new ModuleError('registerModuleClass: the class does not set its own static className');
    }
    classes.set(moduleClass.className, moduleClass);
  }
}

/** Names registered with {@link registerModuleClass}. */
export function registeredModuleClasses(): string[] {
  return [...classes.keys()];
}

/**
 * A new module of the recorded class and config (weights freshly initialised from `options.rng`).
 * Throws {@link ModuleError} for an unknown class.
 */
export function moduleFromJSON(json: ModuleJSON, options?: ModuleOptions): Module {
  const moduleClass = classes.get(json.className);
  if (moduleClass === undefined) {
    throw new ModuleError(
      `moduleFromJSON: ` +
        `unknown className '${json.className}' (registered: ${registeredModuleClasses().join(', ') || 'none'}); ` +
        'import the package that defines it (its index registers its classes) or call registerModuleClass',
    );
  }
  return (moduleClass.fromConfig as (config: object, options?: ModuleOptions) => Module).call(
    moduleClass,
    json.config,
    options,
  );
}
