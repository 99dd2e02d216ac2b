import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { randomValues, useWasmWithTrainingKernels } from '../wasm-kernels/testing.ts';
import { isMantaWasmGradient, registerWasmTrainingGradients, WASM_TRAINING_GRADIENTS } from './register.ts';

beforeAll(useWasmWithTrainingKernels);

type Inputs = Record<string, { shape: number[]; offset?: number }>;

/**
 * Gradients of sum(f(inputs) * weights) with respect to every input, on `backendName`; also
 * checks that computing them leaves no tensor behind.
 */
function gradsOn(
  backendName: string,
  inputs: Inputs,
  f: (t: Record<string, tf.Tensor>) => tf.Tensor,
): number[][] {
  tf.setBackend(backendName);
  const names = Object.keys(inputs);
  const before = tf.memory().numTensors;
  const result = tf.tidy(() => {
    const tensors = names.map((name, i) => {
      const { shape, offset = 0 } = inputs[name];
      return tf.add(tf.tensor(randomValues(tf.util.sizeFromShape(shape), i + 1), shape), offset);
    });
    const loss = (...values: tf.Tensor[]) => {
      const out = f(Object.fromEntries(names.map((n, i) => [n, values[i]])));
      const weights = tf.tensor(randomValues(out.size, 77), out.shape);
      return tf.sum(tf.mul(out, weights)) as tf.Scalar;
    };
    return tf
      .grads(loss)(tensors)
      .map((g) => Array.from(g.dataSync()));
  });
  expect(tf.memory().numTensors, `${backendName} left tensors behind`).toBe(before);
  return result;
}

function expectSameGradsAsCpu(
  inputs: Inputs,
  f: (t: Record<string, tf.Tensor>) => tf.Tensor,
  tolerance = 1e-4,
) {
  const cpu = gradsOn('cpu', inputs, f);
  const wasm = gradsOn('wasm', inputs, f);
  expect(wasm.length).toBe(cpu.length);
  for (let i = 0; i < cpu.length; i++) {
    const scale = Math.max(1, ...cpu[i].map(Math.abs));
    expect(wasm[i].length).toBe(cpu[i].length);
    let worst = 0;
    for (let j = 0; j < cpu[i].length; j++) worst = Math.max(worst, Math.abs(wasm[i][j] - cpu[i][j]));
    expect(worst, `gradient of input ${Object.keys(inputs)[i]}`).toBeLessThanOrEqual(tolerance * scale);
  }
}

describe('wasm gradients', () => {
  it('replace the gradients of FusedBatchNorm, Mean and Relu, idempotently', () => {
    for (const { kernelName } of WASM_TRAINING_GRADIENTS) expect(isMantaWasmGradient(kernelName)).toBe(true);
    expect(registerWasmTrainingGradients()).toEqual([]);
  });

  const channels = 5;
  const perChannel = { shape: [channels] };
  const bnCases: [string, number[]][] = [
    ['NHWC', [3, 4, 6, channels]],
    ['2D', [7, channels]],
  ];
  for (const [label, shape] of bnCases) {
    it(`batch norm with given statistics matches cpu for every input (${label})`, () => {
      expectSameGradsAsCpu(
        {
          x: { shape },
          mean: perChannel,
          variance: { shape: [channels], offset: 1.5 },
          scale: perChannel,
          offset: perChannel,
        },
        (t) => tf.batchNorm(t.x, t.mean, t.variance, t.offset, t.scale, 1e-3),
      );
    });
  }

  // (Without a scale, tfjs itself fails to record batch norm for its gradient, on every backend.)

  it('batch norm over batch statistics (tf.moments, as layers train it) matches cpu', () => {
    expectSameGradsAsCpu(
      { x: { shape: [4, 5, 3, channels], offset: 0.7 }, scale: perChannel, offset: perChannel },
      (t) => {
        const { mean, variance } = tf.moments(t.x, [0, 1, 2]);
        return tf.relu(tf.batchNorm(t.x, mean, variance, t.offset, t.scale, 1e-3));
      },
    );
  });

  it('batch norm with a per-element mean uses tfjs gradient and matches cpu', () => {
    expectSameGradsAsCpu(
      {
        x: { shape: [3, 4, channels] },
        mean: { shape: [3, 4, channels] },
        variance: { shape: [3, 4, channels], offset: 1.5 },
        scale: { shape: [3, 4, channels] },
        offset: { shape: [3, 4, channels] },
      },
      (t) => tf.batchNorm(t.x, t.mean, t.variance, t.offset, t.scale),
    );
  });

  // Sizes a multiple of 4 (all SIMD) and not (a scalar tail); values around zero.
  for (const shape of [[3, 4, 5, 8], [3, 5, 7], [2]]) {
    it(`relu of ${shape.join('x')} matches cpu`, () => {
      expectSameGradsAsCpu({ x: { shape } }, (t) => tf.relu(t.x));
    });
  }

  const meanCases: [number[], number[], boolean][] = [
    [[3, 4, 5, 6], [0, 1, 2], false],
    [[3, 4, 5, 6], [0, 1, 2], true],
    [[7, 3], [0], false],
    [[3, 4, 5, 6], [1, 2], false], // not leading axes: tfjs's gradient
    [[3, 4], [0, 1], true], // all axes: tfjs's gradient
  ];
  for (const [shape, axis, keepDims] of meanCases) {
    it(`mean over ${JSON.stringify(axis)} of ${shape.join('x')} (keepDims ${keepDims}) matches cpu`, () => {
      expectSameGradsAsCpu({ x: { shape } }, (t) => tf.mean(t.x, axis, keepDims));
    });
  }
});
