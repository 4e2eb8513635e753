/** `pickPerRow`: one value per row of a matrix, by integer column. */
import * as tfc from '@tensorflow/tfjs-core';

/**
 * `values[r, targets[r]]` for `values` `[rows, classes]` and int32 `targets` `[rows]`, through one gather
 * of the flattened values (differentiable in `values`, no one-hot matrix).
 */
export function pickPerRow(values: tfc.Tensor2D, targets: tfc.Tensor1D): tfc.Tensor1D {
  return tfc.tidy(() => {
    const [rows, classes] = values.shape;
    const flatIndex = tfc.add(tfc.mul(tfc.range(0, rows, 1, 'int32'), tfc.scalar(classes, 'int32')), targets);
    return tfc.gather(tfc.reshape(values, [rows * classes]), flatIndex) as tfc.Tensor1D;
  });
}
