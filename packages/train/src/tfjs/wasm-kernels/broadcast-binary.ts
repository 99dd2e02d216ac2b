/**
 * Binary kernels (Multiply, Add, Sub, RealDiv) for wasm that hand the shipped kernels an
 * easier broadcast: an operand shaped [1, ..., 1, C] against [N, ..., C] is passed as [C].
 * The result is the same (dropping leading 1s never changes a broadcast while the other
 * operand has at least as many dimensions), but the shipped kernels take a fast path for a
 * trailing vector and a general per-element index path otherwise: batch norm's gradient
 * multiplies [1, 1, 1, C] by activations, measured about 4x slower than [C] by activations.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { view } from './wasm-backend.ts';

function dropLeadingOnes(t: TensorInfo, otherRank: number): TensorInfo {
  if (t.shape.length > otherRank) return t;
  let start = 0;
  while (start < t.shape.length - 1 && t.shape[start] === 1) start++;
  return start === 0 ? t : view(t, t.shape.slice(start));
}

export function makeBroadcastBinaryConfig(kernelName: string, shipped: KernelFunc | undefined): KernelConfig {
  if (!shipped) throw new Error(`wasm has no ${kernelName} kernel to wrap`);
  const kernelFunc = (args: { inputs: { a: TensorInfo; b: TensorInfo } }) => {
    const { a, b } = args.inputs;
    const a2 = a.shape.length === b.shape.length ? dropLeadingOnes(a, b.shape.length) : a;
    const b2 = a.shape.length === b.shape.length ? dropLeadingOnes(b, a.shape.length) : b;
    // Only when exactly one side shrinks: the other then keeps the full rank of the result.
    if ((a2 === a) === (b2 === b)) return shipped(args as never);
    return shipped({ ...args, inputs: { a: a2, b: b2 } } as never);
  };
  return { kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as KernelFunc };
}
