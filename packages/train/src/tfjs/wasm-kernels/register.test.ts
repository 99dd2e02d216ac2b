import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { isMantaWasmKernel, registerWasmTrainingKernels, WASM_TRAINING_KERNELS } from './register.ts';
import { randomValues, useWasmWithTrainingKernels } from './testing.ts';

beforeAll(useWasmWithTrainingKernels);

describe('wasm kernels - registerWasmTrainingKernels', () => {
  it('registers every kernel once and is idempotent', () => {
    for (const { kernelName } of WASM_TRAINING_KERNELS) expect(isMantaWasmKernel(kernelName)).toBe(true);
    const before = tf.getKernelsForBackend('wasm').length;
    expect(registerWasmTrainingKernels()).toEqual([]);
    expect(tf.getKernelsForBackend('wasm').length).toBe(before);
  });

  it('leaves a kernel someone else registered in place unless ours replaces it on purpose', () => {
    const mine = tf.getKernel(tf.DepthwiseConv2dNativeBackpropInput, 'wasm');
    tf.unregisterKernel(tf.DepthwiseConv2dNativeBackpropInput, 'wasm');
    const other = {
      kernelName: tf.DepthwiseConv2dNativeBackpropInput,
      backendName: 'wasm',
      kernelFunc: () => ({}) as never,
    };
    tf.registerKernel(other);
    try {
      expect(registerWasmTrainingKernels()).toEqual([]);
      expect(tf.getKernel(tf.DepthwiseConv2dNativeBackpropInput, 'wasm')?.kernelFunc).toBe(other.kernelFunc);
    } finally {
      tf.unregisterKernel(tf.DepthwiseConv2dNativeBackpropInput, 'wasm');
      if (mine) tf.registerKernel(mine);
    }
  });

  it('gives the same gradients as cpu for a ResNet-style block with batch norm, pooling and softmax cross-entropy', () => {
    // conv -> batch norm (batch statistics) -> relu -> conv (stride 2) + 1x1 projection shortcut -> add
    // -> max pool + avg pool -> global average pool -> dense -> softmax cross-entropy.
    const shapes = {
      w1: [3, 3, 3, 4],
      gamma: [4],
      beta: [4],
      w2: [3, 3, 4, 6],
      wp: [1, 1, 4, 6],
      dense: [6, 5],
    } as const;
    const x = randomValues(2 * 9 * 10 * 3, 99);
    const labels = [1, 3];
    const gradsOn = (backendName: string) => {
      tf.setBackend(backendName);
      return tf.tidy(() => {
        const params = Object.fromEntries(
          Object.entries(shapes).map(([name, shape], i) => [
            name,
            tf.tensor(randomValues(tf.util.sizeFromShape([...shape]), i + 1), [...shape]),
          ]),
        ) as Record<keyof typeof shapes, tf.Tensor>;
        const names = Object.keys(shapes) as (keyof typeof shapes)[];
        const input = tf.tensor4d(x, [2, 9, 10, 3]);
        const loss = (...values: tf.Tensor[]) => {
          const p = Object.fromEntries(names.map((n, i) => [n, values[i]])) as Record<
            keyof typeof shapes,
            tf.Tensor
          >;
          let h = tf.conv2d(input, p.w1 as tf.Tensor4D, 1, 'same');
          const { mean, variance } = tf.moments(h, [0, 1, 2]);
          h = tf.relu(
            tf.batchNorm(h, mean, variance, p.beta as tf.Tensor1D, p.gamma as tf.Tensor1D, 1e-3),
          ) as tf.Tensor4D;
          const main = tf.conv2d(h, p.w2 as tf.Tensor4D, 2, 'same');
          const shortcut = tf.conv2d(h, p.wp as tf.Tensor4D, 2, 'same');
          let y = tf.relu(tf.add(main, shortcut)) as tf.Tensor4D;
          y = tf.add(tf.maxPool(y, 2, 1, 'same'), tf.avgPool(y, 2, 1, 'same'));
          const pooled = tf.mean(y, [1, 2]);
          const logits = tf.matMul(pooled as tf.Tensor2D, p.dense as tf.Tensor2D);
          return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, 5), logits) as tf.Scalar;
        };
        const grads = tf.grads(loss)(names.map((n) => params[n]));
        return grads.map((g) => Array.from(g.dataSync()));
      });
    };
    const cpu = gradsOn('cpu');
    const wasm = gradsOn('wasm');
    expect(wasm.length).toBe(cpu.length);
    for (let i = 0; i < cpu.length; i++) {
      const scale = Math.max(1e-3, ...cpu[i].map(Math.abs));
      for (let j = 0; j < cpu[i].length; j++)
        expect(Math.abs(wasm[i][j] - cpu[i][j])).toBeLessThanOrEqual(2e-4 * scale);
    }
  });
});
