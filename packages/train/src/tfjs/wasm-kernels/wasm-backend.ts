/**
 * The few things our wasm kernels need from the tfjs wasm backend: views of tensor memory
 * on the wasm heap, fresh outputs, disposal, and the backend's own kernels (BatchMatMul,
 * Conv2D) run directly on TensorInfos, the way the backend's kernels call each other.
 *
 * A heap view is only valid until the next allocation (the heap may grow and detach the old
 * buffer), so allocate every output first and take views after.
 */

import type { KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type { BackendWasm };

export function heap(backend: BackendWasm, info: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/** The whole wasm heap as floats, and a tensor's element offset in it (valid until the next allocation). */
export function heapF32(backend: BackendWasm): Float32Array {
  return new Float32Array((backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.buffer);
}

export function offsetOf(backend: BackendWasm, info: TensorInfo): number {
  return (backend.dataIdMap.get(info.dataId) as unknown as { memoryOffset: number }).memoryOffset / 4;
}

/** A new float32 tensor on the wasm heap (uninitialised memory). */
export function allocate(backend: BackendWasm, shape: number[]): TensorInfo {
  return backend.makeOutput(shape, 'float32');
}

export function release(backend: BackendWasm, ...infos: TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** The same memory seen with another shape (no copy; the kernels we pass it to only read it). */
export function view(info: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

function run(
  kernelName: string,
  backend: BackendWasm,
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap,
): TensorInfo {
  const config = tf.getKernel(kernelName, 'wasm');
  if (!config) throw new Error(`wasm backend has no ${kernelName} kernel`);
  return (config.kernelFunc as KernelFunc)({ inputs, backend, attrs }) as TensorInfo;
}

/**
 * a [m, k] x b [k, n] with the wasm backend's BatchMatMul, untransposed: its transposed
 * variants take a slow path (about 10x slower, measured), so callers lay data out for this.
 */
export function matMul(backend: BackendWasm, a: TensorInfo, b: TensorInfo): TensorInfo {
  return run(tf.BatchMatMul, backend, { a, b }, { transposeA: false, transposeB: false });
}

/** Forward NHWC Conv2D (XNNPACK), stride 1, explicit padding [top, bottom, left, right]. */
export function conv2d(
  backend: BackendWasm,
  x: TensorInfo,
  filter: TensorInfo,
  pad: [number, number, number, number],
  dilations: [number, number] = [1, 1],
): TensorInfo {
  return run(tf.Conv2D, backend, { x, filter }, {
    strides: [1, 1],
    dilations,
    pad: [
      [0, 0],
      [pad[0], pad[1]],
      [pad[2], pad[3]],
      [0, 0],
    ],
    dataFormat: 'NHWC',
  } as unknown as NamedAttrMap);
}
