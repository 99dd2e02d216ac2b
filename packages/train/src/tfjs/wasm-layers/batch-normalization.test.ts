import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { randomValues, useWasmWithTrainingKernels } from '../wasm-kernels/testing.ts';
import { patchBatchNormalizationTraining } from './batch-normalization.ts';

beforeAll(useWasmWithTrainingKernels);

/**
 * Two training steps (SGD) of a model with batch norm on `backend`: the output of each step's
 * forward pass, the trained weights and the moving statistics.
 */
async function train(backend: string, inputShape: number[], axis: number): Promise<number[][]> {
  await tf.setBackend(backend);
  const channels = inputShape[inputShape.length - 1];
  const input = tf.input({ shape: inputShape.slice(1) });
  const dense = tf.layers
    .dense({ units: channels, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) })
    .apply(input) as tf.SymbolicTensor;
  const normed = tf.layers
    .batchNormalization({ axis, momentum: 0.8, gammaInitializer: tf.initializers.constant({ value: 1.3 }) })
    .apply(dense) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: tf.layers.reLU().apply(normed) as tf.SymbolicTensor });
  const size = tf.util.sizeFromShape(inputShape);
  const x = tf.add(tf.tensor(randomValues(size, 11), inputShape), 0.4);
  const target = tf.tensor(randomValues((size / inputShape[inputShape.length - 1]) * channels, 12), [
    ...inputShape.slice(0, -1),
    channels,
  ]);
  const optimizer = tf.train.sgd(0.1);
  const before = tf.memory().numTensors;
  const outputs: number[][] = [];
  for (let step = 0; step < 2; step++) {
    optimizer.minimize(() => {
      const y = model.apply(x, { training: true }) as tf.Tensor;
      outputs.push(Array.from(y.dataSync()));
      return tf.losses.meanSquaredError(target, y) as tf.Scalar;
    });
  }
  const leaked = tf.memory().numTensors - before;
  const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
  const inference = Array.from((model.predict(x) as tf.Tensor).dataSync());
  tf.dispose([x, target]);
  model.dispose();
  optimizer.dispose();
  return [...outputs, ...weights, inference, [leaked]];
}

describe('BatchNormalization training on wasm (one fused op)', () => {
  it('wraps the layer once', () => {
    expect(patchBatchNormalizationTraining()).toBe(false);
  });

  const cases: [string, number[], number][] = [
    ['NHWC, 8 channels (simd)', [3, 4, 5, 8], -1],
    ['NHWC, 6 channels (JS)', [2, 3, 4, 6], 3],
    ['2D', [9, 4], -1],
  ];
  for (const [label, shape, axis] of cases) {
    it(`trains as on cpu: ${label}`, async () => {
      const cpu = await train('cpu', shape, axis);
      const wasm = await train('wasm', shape, axis);
      expect(wasm.length).toBe(cpu.length);
      expect(wasm[wasm.length - 1][0], 'tensors left per step').toBe(cpu[cpu.length - 1][0]);
      for (let k = 0; k < cpu.length - 1; k++) {
        const scale = Math.max(1, ...cpu[k].map(Math.abs));
        let worst = 0;
        for (let i = 0; i < cpu[k].length; i++) worst = Math.max(worst, Math.abs(wasm[k][i] - cpu[k][i]));
        expect(worst, `array ${k}`).toBeLessThanOrEqual(2e-4 * scale);
      }
    });
  }
});
