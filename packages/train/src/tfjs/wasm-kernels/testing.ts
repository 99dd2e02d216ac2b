/**
 * Test support for the wasm kernels (imported by *.test.ts only): run one kernel on the cpu
 * backend and on wasm with the same inputs, compare within float tolerance, and check that
 * the wasm run leaks neither tensors nor backend data.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { NamedAttrMap } from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { registerWasmTrainingKernels } from './register.ts';

export async function useWasmWithTrainingKernels(): Promise<void> {
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
}

/** Deterministic values in [-1, 1) (a small LCG), so failures reproduce. */
export function randomValues(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** A deterministic integer in [lo, hi] drawn from `next`. */
export function pick(next: () => number, lo: number, hi: number): number {
  return lo + Math.floor(next() * (hi - lo + 1));
}

export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export interface KernelInput {
  shape: number[];
  values?: Float32Array | Int32Array;
  dtype?: 'float32' | 'int32' | 'bool';
}

interface Result {
  shape: number[];
  dtype: string;
  values: Float32Array | Int32Array | Uint8Array;
}

function runOn(
  backendName: string,
  kernelName: string,
  inputs: Record<string, KernelInput>,
  attrs: object,
): Result {
  const saved = tf.getBackend();
  tf.setBackend(backendName);
  try {
    return tf.tidy(() => {
      const tensors: Record<string, tf.Tensor> = {};
      let seed = 1;
      for (const [name, input] of Object.entries(inputs)) {
        const size = tf.util.sizeFromShape(input.shape);
        const values = input.values ?? randomValues(size, seed++);
        tensors[name] = tf.tensor(values, input.shape, input.dtype ?? 'float32');
      }
      const out = tf.engine().runKernel(kernelName, tensors, attrs as NamedAttrMap) as tf.Tensor;
      return { shape: out.shape, dtype: out.dtype, values: out.dataSync() as Result['values'] };
    });
  } finally {
    tf.setBackend(saved);
  }
}

/**
 * Runs `kernelName` on cpu and on wasm and expects the same shape, dtype and values (absolute
 * error at most `tolerance` times the largest magnitude, and at least `tolerance`), and no
 * tensor or wasm data left behind by the wasm run.
 */
export function expectSameAsCpu(
  kernelName: string,
  inputs: Record<string, KernelInput>,
  attrs: object,
  tolerance = 1e-5,
): void {
  // Prime the inputs' random values so both runs see identical data.
  const fixed: Record<string, KernelInput> = {};
  let seed = 1;
  for (const [name, input] of Object.entries(inputs)) {
    fixed[name] = {
      ...input,
      values: input.values ?? randomValues(tf.util.sizeFromShape(input.shape), seed++),
    };
  }
  const expected = runOn('cpu', kernelName, fixed, attrs);
  const wasm = tf.findBackend('wasm') as unknown as { numDataIds(): number };
  const tensorsBefore = tf.memory().numTensors;
  const dataBefore = wasm.numDataIds();
  const actual = runOn('wasm', kernelName, fixed, attrs);
  expect(tf.memory().numTensors, `${kernelName} leaked tensors`).toBe(tensorsBefore);
  expect(wasm.numDataIds(), `${kernelName} leaked wasm data`).toBe(dataBefore);
  expect(actual.shape).toEqual(expected.shape);
  expect(actual.dtype).toBe(expected.dtype);
  let scale = 1;
  for (const v of expected.values) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.values.length; i++) {
    const error = Math.abs(actual.values[i] - expected.values[i]);
    if (!(error <= worst)) {
      worst = error;
      at = i;
    }
  }
  expect(worst, `${kernelName} worst error at flat index ${at}`).toBeLessThanOrEqual(tolerance * scale);
}

export interface ConvCase {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outC: number;
  kH: number;
  kW: number;
  strides: [number, number];
  pad: 'same' | 'valid';
}

/**
 * Random conv shapes covering strides 1 and 2, 'same' and 'valid', batch > 1, non-square
 * inputs and filters; every case has at least one output position.
 */
export function convCases(count: number, seed: number): ConvCase[] {
  const next = rng(seed);
  const cases: ConvCase[] = [];
  for (let i = 0; cases.length < count; i++) {
    const inH = pick(next, 4, 11);
    const inW = pick(next, 4, 11);
    const c: ConvCase = {
      batch: pick(next, 2, 3),
      inH,
      inW: inW === inH ? inW + 1 : inW,
      inC: pick(next, 1, 6),
      outC: pick(next, 1, 6),
      kH: pick(next, 1, 3),
      kW: pick(next, 1, 3),
      strides: i % 2 === 0 ? [1, 1] : [2, pick(next, 1, 2)],
      pad: i % 4 < 2 ? 'same' : 'valid',
    };
    cases.push(c);
  }
  return cases;
}

export function outSize(size: number, k: number, stride: number, pad: 'same' | 'valid'): number {
  return pad === 'same' ? Math.ceil(size / stride) : Math.ceil((size - k + 1) / stride);
}

/** Conv2DBackpropFilter on wasm vs cpu for an NHWC input, a [kH, kW, inC, outC] filter and a square stride. */
export function expectFilterGradSameAsCpu(
  xShape: number[],
  filterShape: number[],
  stride: number,
  pad: 'same' | 'valid',
): void {
  const dyShape = [
    xShape[0],
    outSize(xShape[1], filterShape[0], stride, pad),
    outSize(xShape[2], filterShape[1], stride, pad),
    filterShape[3],
  ];
  expectSameAsCpu(
    tf.Conv2DBackpropFilter,
    { x: { shape: xShape }, dy: { shape: dyShape } },
    { strides: stride, pad, dataFormat: 'NHWC', filterShape },
  );
}

export const describeCase = (c: ConvCase) =>
  `${c.batch}x${c.inH}x${c.inW}x${c.inC} k${c.kH}x${c.kW}->${c.outC} s${c.strides.join('x')} ${c.pad}`;
