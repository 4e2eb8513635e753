/**
 * Class registry for {@link moduleFromJSON}: rebuilds a module (fresh weights) from `{ className, config }`.
 * Containers such as `Sequential` use it for their children. The core layers register themselves when
 * their files load; other packages call {@link registerModuleClass} for their own modules.
 */
import { ModuleError } from './errors';
import type { Module, ModuleJSON, ModuleOptions } from './module';

/** Rebuilds a module from its config. */
export type ModuleFactory = (config: never, options?: ModuleOptions) => Module;

const factories = new Map<string, ModuleFactory>();

/**
 * Makes `className` reachable from {@link moduleFromJSON}. Registering the same name again replaces the
 * earlier factory (useful for hot reload); names are global, so prefix third-party ones (`aoa.Refiner`).
 */
export function registerModuleClass(className: string, fromConfig: ModuleFactory): void {
  factories.set(className, fromConfig);
}

/** Names registered with {@link registerModuleClass}. */
export function registeredModuleClasses(): string[] {
  return [...factories.keys()];
}

/**
 * A new module of the recorded class and config (weights freshly initialised from `options.rng`).
 * Throws {@link ModuleError} for an unknown class.
 */
export function moduleFromJSON(json: ModuleJSON, options?: ModuleOptions): Module {
  const factory = factories.get(json.className);
  if (factory === undefined) {
    throw new ModuleError(
      `moduleFromJSON: unknown className '${json.className}' (registered: ${registeredModuleClasses().join(', ') || 'none'}); ` +
        'call registerModuleClass first',
    );
  }
  return (factory as (config: object, options?: ModuleOptions) => Module)(json.config, options);
}
