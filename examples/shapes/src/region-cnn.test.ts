import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@caption/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { conv3x3Same, RegionCnn } from './region-cnn';

describe('conv3x3Same', () => {
  beforeAll(async () => {
    await initBackend('wasm', { quiet: true });
  });

  it('has the value and gradients of tf.conv2d (reference: tfjs-backend-cpu kernels)', async () => {
    const x = tf.randomNormal([3, 8, 8, 4], 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 4, 5], 0, 1, 'float32', 2) as tf.Tensor4D;
    const dy = tf.randomNormal([3, 8, 8, 5], 0, 1, 'float32', 3);
    const ours = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(conv3x3Same(a as tf.Tensor4D, b as tf.Tensor4D), dy)),
    )([x, w]);
    const value = conv3x3Same(x, w).arraySync();
    const [oursDx, oursDw] = [ours[0]!.arraySync(), ours[1]!.arraySync()];
    const [xa, wa, dya] = [x.arraySync(), w.arraySync(), dy.arraySync()];
    await initBackend('cpu', { quiet: true });
    const [xc, wc, dyc] = [tf.tensor(xa), tf.tensor(wa), tf.tensor(dya)];
    const ref = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'), dyc)),
    )([xc, wc]);
    const refValue = tf.conv2d(xc as tf.Tensor4D, wc as tf.Tensor4D, 1, 'same').arraySync();
    const [refDx, refDw] = [ref[0]!.arraySync(), ref[1]!.arraySync()];
    await initBackend('wasm', { quiet: true });
    const close = (a: unknown, b: unknown): void => {
      const fa = (a as number[]).flat(4) as number[];
      const fb = (b as number[]).flat(4) as number[];
      expect(fa.length).toBe(fb.length);
      fa.forEach((v, i) => expect(Math.abs(v - fb[i]!)).toBeLessThan(1e-3 * (1 + Math.abs(fb[i]!))));
    };
    close(value, refValue);
    close(oursDx, refDx);
    close(oursDw, refDw);
  });

  it('builds a CNN whose parameter count follows from its config, and learns', () => {
    const cnn = new RegionCnn({ inputSize: 16, channels: [4, 8, 8], featureDim: 16, seed: 3 });
    // convs 3*3*3*4+4, 3*3*4*8+8, 3*3*8*8+8; feature (2*2*8)*16+16; heads 16*5+5, 16*6+6, 16*2+2
    expect(cnn.parameterCount()).toBe(112 + 296 + 584 + 528 + 85 + 102 + 34);
    const x = tf.randomUniform([8, 16, 16, 3], -1, 1, 'float32', 4) as tf.Tensor4D;
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 0, 1, 2], 'int32'), 5);
    const optimizer = tf.train.adam(0.01);
    const loss = (): tf.Scalar => tf.losses.softmaxCrossEntropy(y, cnn.apply(x).shape) as tf.Scalar;
    const first = loss().dataSync()[0]!;
    for (let i = 0; i < 30; i++) optimizer.minimize(loss, false, cnn.variables());
    expect(loss().dataSync()[0]!).toBeLessThan(first / 2);
    expect(cnn.namedWeights().map((w) => w.name)).toContain('conv1.weight');
    cnn.dispose();
  });
});
