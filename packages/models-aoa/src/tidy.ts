/** `tf.tidy` for results whose type tfjs's `TensorContainer` does not express (objects with `null` fields). */
import * as tf from '@tensorflow/tfjs-core';

/**
 * Runs `fn` under `tf.tidy` and keeps every tensor reachable from its result (nested objects and arrays;
 * `null` fields are allowed, as tfjs's container walk skips them).
 */
export function tidyKeep<T extends object>(fn: () => T): T {
  return tf.tidy(() => fn() as unknown as tf.TensorContainer) as unknown as T;
}
