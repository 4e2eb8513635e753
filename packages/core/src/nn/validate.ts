/** Argument checks shared by the layers; each throws a {@link ModuleError} naming the class and field. */
import type * as tf from '@tensorflow/tfjs-core';
import { ModuleError } from './errors';

/** `value` must be an integer >= 1. */
export function assertPositiveInteger(className: string, field: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ModuleError(`${className}: ${field} must be a positive integer, got ${String(value)}`);
  }
}

/** `value` must be a probability in [0, 1). */
export function assertRate(className: string, field: string, value: unknown): void {
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
    throw new ModuleError(`${className}: ${field} must be a number in [0, 1), got ${String(value)}`);
  }
}

/** `value` must be a finite number > 0. */
export function assertPositiveNumber(className: string, field: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ModuleError(`${className}: ${field} must be a positive number, got ${String(value)}`);
  }
}

/** The last dimension of `tensor` must be `size`. */
export function assertLastDim(where: string, argName: string, tensor: tf.Tensor, size: number): void {
  const last = tensor.shape[tensor.rank - 1];
  if (tensor.rank === 0 || last !== size) {
    throw new ModuleError(
      `${where}: ${argName} has shape [${tensor.shape.join(', ')}], expected last dimension ${size}`,
    );
  }
}

/** `tensor` must have exactly `rank` dimensions. */
export function assertRank(where: string, argName: string, tensor: tf.Tensor, rank: number | readonly number[]): void {
  const ranks = typeof rank === 'number' ? [rank] : rank;
  if (!ranks.includes(tensor.rank)) {
    throw new ModuleError(
      `${where}: ${argName} has shape [${tensor.shape.join(', ')}], expected rank ${ranks.join(' or ')}`,
    );
  }
}
