/**
 * `@caption/core`: tensor layers, losses, decoding, optimisation and safe training machinery for
 * captioning models on TensorFlow.js.
 *
 * @packageDocumentation
 */
export { Random, type RandomState } from './random';
export {
  parseSafetensors,
  serializeSafetensors,
  SafetensorsError,
  type SafetensorsArray,
  type SafetensorsDtype,
  type SafetensorsEntry,
  type SafetensorsFile,
} from './io/safetensors';
export {
  Module,
  defaultRandom,
  manualSeed,
  type ModuleOptions,
  type ModuleJSON,
  type StateDict,
  type StateDictInput,
  type LoadStateDictOptions,
  type LoadStateDictResult,
} from './nn/module';
export { ModuleError, StateDictError, type ShapeMismatch } from './nn/errors';
export { uniformInit, normalInit, constantInit, type Initializer } from './nn/init';
export { registerModuleClass, registeredModuleClasses, moduleFromJSON, type ModuleFactory } from './nn/registry';
export {
  initBackend,
  currentBackend,
  type BackendInfo,
  type BackendKind,
  type InitBackendOptions,
  type ResolvedBackendKind,
} from './backend/init-backend';
export { BackendError, WasmMemoryError } from './backend/errors';
