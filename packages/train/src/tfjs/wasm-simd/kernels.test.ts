import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BATCH_NORM_TRAIN } from '../wasm-kernels/BatchNormTrain.ts';
import {
  expectFilterGradSameAsCpu,
  randomValues,
  useWasmWithTrainingKernels,
} from '../wasm-kernels/testing.ts';
import type { BackendWasm } from '../wasm-kernels/wasm-backend.ts';
import { assembleSimdKernels } from './assemble.ts';
import { simdKernels, simdTuning } from './index.ts';
import { SIMD_KERNELS_BASE64 } from './kernels.wasm.ts';

describe('wasm simd kernels', () => {
  it('kernels.wasm.ts is kernels.wat assembled (run scripts/build-wasm-simd.ts after editing the .wat)', async () => {
    const bytes = await assembleSimdKernels();
    expect(Buffer.from(bytes).toString('base64')).toBe(SIMD_KERNELS_BASE64);
  });
});

describe('wasm kernels that use the simd module, on their JS loops', () => {
  beforeAll(useWasmWithTrainingKernels);
  beforeAll(() => {
    simdTuning.enabled = false;
  });
  afterAll(() => {
    simdTuning.enabled = true;
  });

  it('the simd module is off', () => {
    expect(simdKernels(tf.backend() as unknown as BackendWasm)).toBeNull();
  });

  for (const [xShape, fShape, stride, pad] of [
    [[2, 8, 10, 4], [3, 3, 4, 5], 1, 'same'],
    [[3, 8, 10, 4], [3, 3, 4, 5], 2, 'same'],
    [[2, 9, 6, 3], [2, 3, 3, 4], 3, 'valid'],
  ] as [number[], number[], number, 'same' | 'valid'][]) {
    it(`Conv2DBackpropFilter matches cpu for ${xShape.join('x')} k${fShape[0]}x${fShape[1]} s${stride} ${pad}`, () =>
      expectFilterGradSameAsCpu(xShape, fShape, stride, pad));
  }

  it('MantaReluGrad matches relu gradient on cpu', () => {
    const values = randomValues(3 * 5 * 7, 3);
    const dyValues = randomValues(3 * 5 * 7, 4);
    const grad = (backend: string) => {
      tf.setBackend(backend);
      return tf.tidy(() => {
        const dy = tf.tensor(dyValues, [3, 5, 7]);
        const dx = tf.grad((x: tf.Tensor) => tf.relu(x))(tf.tensor(values, [3, 5, 7]), dy);
        return Array.from(dx.dataSync(), (v) => v + 0); // cpu's dy * 0 gives -0 where dy < 0
      });
    };
    expect(grad('wasm')).toEqual(grad('cpu'));
  });

  it('MantaBatchNormTrain and its gradient match cpu with 8 channels (a simd width)', () => {
    const shape = [3, 4, 5, 8];
    const run = (backend: string, fused: boolean) => {
      tf.setBackend(backend);
      return tf.tidy(() => {
        const x = tf.tensor(randomValues(480, 5), shape);
        const scale = tf.add(tf.tensor(randomValues(8, 6), [8]), 1);
        const offset = tf.tensor(randomValues(8, 7), [8]);
        const w = tf.tensor(randomValues(480, 8), shape);
        const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
          let y: tf.Tensor;
          if (fused) {
            y = (
              tf.engine().runKernel(BATCH_NORM_TRAIN, { x: a, scale: b, offset: c }, {
                varianceEpsilon: 1e-3,
              } as never) as tf.Tensor[]
            )[0];
          } else {
            const { mean, variance } = tf.moments(a, [0, 1, 2]);
            y = tf.batchNorm(a, mean, variance, c, b, 1e-3);
          }
          return tf.sum(tf.mul(y, w)) as tf.Scalar;
        };
        return tf
          .grads(f)([x, scale, offset])
          .map((g) => Array.from(g.dataSync()));
      });
    };
    const expected = run('cpu', false);
    const actual = run('wasm', true);
    for (let k = 0; k < 3; k++) {
      for (let i = 0; i < expected[k].length; i++) expect(actual[k][i]).toBeCloseTo(expected[k][i], 3);
    }
  });
});
