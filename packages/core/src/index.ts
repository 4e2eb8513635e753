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
