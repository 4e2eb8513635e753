/**
 * Class registry for {@link moduleFromJSON}: rebuilds a module (fresh weights) from `{ className, config }`.
 * Containers such as `Sequential` use it for their children. The core layers are known from the start
 * (listed here, not registered by import side effects, so bundlers cannot drop them); other packages call
 * {@link registerModuleClass} for their own modules.
 */
import { Activation, GLU } from './activation';
import { ModuleList, Sequential } from './containers';
import { Dropout } from './dropout';
import { Embedding } from './embedding';
import { ModuleError } from './errors';
import { PositionwiseFeedForward } from './feed-forward';
import { LayerNorm } from './layer-norm';
import { Linear } from './linear';
import { LSTMCell } from './lstm-cell';
import type { Module, ModuleJSON, ModuleOptions } from './module';
import { MultiHeadAttention } from './multi-head-attention';
import { SublayerConnection } from './sublayer-connection';

/** Rebuilds a module from its config. */
export type ModuleFactory = (config: never, options?: ModuleOptions) => Module;

const factories = new Map<string, ModuleFactory>();
let builtinsAdded = false;

/** Adds the core layers on first use (lazily: the layer files import this one, so not at load time). */
function ensureBuiltins(): void {
  if (builtinsAdded) return;
  builtinsAdded = true;
  const builtins: Array<[string, ModuleFactory]> = [
    ['Linear', Linear.fromConfig],
    ['Embedding', Embedding.fromConfig],
    ['LayerNorm', LayerNorm.fromConfig],
    ['Dropout', Dropout.fromConfig],
    ['Activation', Activation.fromConfig],
    ['GLU', GLU.fromConfig],
    ['LSTMCell', LSTMCell.fromConfig],
    ['MultiHeadAttention', MultiHeadAttention.fromConfig],
    ['PositionwiseFeedForward', PositionwiseFeedForward.fromConfig],
    ['SublayerConnection', SublayerConnection.fromConfig],
    ['ModuleList', ModuleList.fromConfig],
    ['Sequential', Sequential.fromConfig],
  ];
  for (const [name, factory] of builtins) if (!factories.has(name)) factories.set(name, factory);
}

/**
 * Makes `className` reachable from {@link moduleFromJSON}. Registering the same name again replaces the
 * earlier factory (useful for hot reload); names are global, so prefix third-party ones (`aoa.Refiner`).
 */
export function registerModuleClass(className: string, fromConfig: ModuleFactory): void {
  ensureBuiltins();
  factories.set(className, fromConfig);
}

/** Names registered with {@link registerModuleClass}. */
export function registeredModuleClasses(): string[] {
  ensureBuiltins();
  return [...factories.keys()];
}

/**
 * A new module of the recorded class and config (weights freshly initialised from `options.rng`).
 * Throws {@link ModuleError} for an unknown class.
 */
export function moduleFromJSON(json: ModuleJSON, options?: ModuleOptions): Module {
  ensureBuiltins();
  const factory = factories.get(json.className);
  if (factory === undefined) {
    throw new ModuleError(
      `moduleFromJSON: unknown className '${json.className}' (registered: ${registeredModuleClasses().join(', ') || 'none'}); ` +
        'call registerModuleClass first',
    );
  }
  return (factory as (config: object, options?: ModuleOptions) => Module)(json.config, options);
}
