import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { selectBackend } from './backend.ts';
import { BackendUnavailableError } from './errors.ts';
import { isMantaWasmKernel } from './wasm-kernels/index.ts';

// The native packages cannot be installed here (their install downloads libtensorflow), so
// loading them fails as it does on a machine without them; one test stands a cpu backend in
// for the native one to check the order.
const absentNative = (specifier: string) =>
  specifier.startsWith('@tensorflow/tfjs-node')
    ? Promise.reject(new Error(`Cannot find module '${specifier}'`))
    : import(specifier);

describe('tfjs backend - selectBackend', () => {
  it('falls back to wasm with the training kernels registered, and is idempotent', async () => {
    expect(await selectBackend({}, absentNative)).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(isMantaWasmKernel(tf.Conv2DBackpropFilter)).toBe(true);
    const kernels = tf.getKernelsForBackend('wasm').length;
    const instance = tf.backend();
    expect(await selectBackend({}, absentNative)).toBe('wasm');
    expect(tf.backend()).toBe(instance);
    expect(tf.getKernelsForBackend('wasm').length).toBe(kernels);
  });

  it('selects cpu when asked', async () => {
    expect(await selectBackend({ backend: 'cpu' }, absentNative)).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(await selectBackend({ backend: 'wasm' }, absentNative)).toBe('wasm');
  });

  it('useGpu without the GPU build fails with a clear error that says how to install it', async () => {
    const error = await selectBackend({ useGpu: true }, absentNative).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as BackendUnavailableError).code).toBe('TFJS_BACKEND_UNAVAILABLE');
    expect((error as Error).message).toContain('npm install @tensorflow/tfjs-node-gpu');
    expect(tf.getBackend()).toBe('wasm');
  });

  it("backend 'tensorflow' without the native build fails and names the package", async () => {
    const error = await selectBackend({ backend: 'tensorflow' }, absentNative).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as Error).message).toContain('@tensorflow/tfjs-node');
  });

  it('rejects bad options naming the field', async () => {
    await expect(selectBackend({ backend: 'webgl' as never })).rejects.toThrow(
      /selectBackend options\.backend/,
    );
    await expect(selectBackend({ useGpu: true, backend: 'wasm' })).rejects.toThrow(BackendUnavailableError);
  });

  it('prefers the GPU build, then the CPU native build, over wasm', async () => {
    const tried: string[] = [];
    const fakeNative = async (specifier: string) => {
      tried.push(specifier);
      if (specifier !== '@tensorflow/tfjs-node') throw new Error(`Cannot find module '${specifier}'`);
      // What @tensorflow/tfjs-node does on import: register the 'tensorflow' backend.
      tf.registerBackend('tensorflow', tf.findBackendFactory('cpu'), 3);
    };
    try {
      expect(await selectBackend({}, fakeNative)).toBe('tensorflow');
      expect(tried).toEqual(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']);
      expect(tf.getBackend()).toBe('tensorflow');
      const instance = tf.backend();
      expect(await selectBackend({}, fakeNative)).toBe('tensorflow');
      expect(tf.backend()).toBe(instance);
      // The CPU native build does not satisfy useGpu.
      await expect(selectBackend({ useGpu: true }, fakeNative)).rejects.toThrow(BackendUnavailableError);
    } finally {
      await selectBackend({ backend: 'wasm' });
      tf.removeBackend('tensorflow');
    }
  });
});
