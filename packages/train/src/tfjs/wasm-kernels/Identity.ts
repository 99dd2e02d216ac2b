/**
 * Identity for wasm, replacing the shipped one, which copies the tensor: gradient bookkeeping
 * runs Identity on every activation-sized gradient (34 full copies of the largest activation
 * per ResNet step, measured). Tensor memory is immutable once written and reference-counted,
 * so the output shares the input's data, as the cpu backend's Identity does.
 */

import type { IdentityInputs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from './wasm-backend.ts';

export function identity(args: { inputs: IdentityInputs; backend: BackendWasm }): TensorInfo {
  const x = args.inputs.x as TensorInfo;
  args.backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export const identityConfig: KernelConfig = {
  kernelName: tf.Identity,
  backendName: 'wasm',
  kernelFunc: identity as unknown as KernelFunc,
};
