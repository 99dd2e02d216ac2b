/**
 * Registers the kernels that training a CNN on the tfjs wasm backend needs and that the
 * backend (4.22) lacks or ships slowly. Found by training a ResNet-style CNN with batch norm
 * on wasm (every kernel the cpu backend has and wasm lacks, run through a logging fallback):
 * Conv2DBackpropFilter is missing, and so are the two depthwise gradients; every other
 * gradient kernel (MaxPoolGrad, AvgPoolGrad, batch norm's composite ops, ...) exists.
 *
 * Replaced on purpose, each measured in a ResNet training step:
 * - Conv2DBackpropInput: the shipped one is a plain loop, about 7x slower than forward Conv2D.
 * - Tile: batch norm's gradient tiles per-channel values to the activation shape; the shipped
 *   kernel took about a third of the step.
 * - Identity: the shipped one copies; ours shares the data, as the cpu backend's does.
 * - Cast: the shipped one copies even to the same dtype; ours shares the data then.
 * - Sum, Mean: batch norm reduces over the leading NHWC axes; the shipped kernels transpose
 *   first. Ours handle that case and hand every other case to the shipped kernel.
 * - Multiply, Add, Sub, RealDiv: a [1, 1, 1, C] operand is handed to the shipped kernel as [C],
 *   which it broadcasts on a fast path (see broadcast-binary.ts).
 *
 * Added for batch norm's gradient in ../wasm-gradients, which tfjs composes from many
 * activation-sized kernels: MantaBatchNormGradStats. Added for the BatchNormalization layer's
 * training step (../wasm-layers, which it patches in): MantaBatchNormTrain and its gradient
 * kernel MantaBatchNormTrainGrad. For ReLU's gradient: MantaReluGrad.
 *
 * Idempotent. Call it before or after the wasm backend is initialised: our kernels have no
 * setup step, and the shipped kernels they delegate to were set up with the backend.
 */

import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { registerWasmTrainingGradients } from '../wasm-gradients/register.ts';
import { patchBatchNormalizationTraining } from '../wasm-layers/batch-normalization.ts';
import { batchNormGradStatsConfig } from './BatchNormGradStats.ts';
import { batchNormTrainConfig, batchNormTrainGradConfig } from './BatchNormTrain.ts';
import { makeBroadcastBinaryConfig } from './broadcast-binary.ts';
import { makeCastConfig } from './Cast.ts';
import { conv2DBackpropFilterConfig } from './Conv2DBackpropFilter.ts';
import { conv2DBackpropInputConfig } from './Conv2DBackpropInput.ts';
import { depthwiseConv2dNativeBackpropFilterConfig } from './DepthwiseConv2dNativeBackpropFilter.ts';
import { depthwiseConv2dNativeBackpropInputConfig } from './DepthwiseConv2dNativeBackpropInput.ts';
import { identityConfig } from './Identity.ts';
import { makeMeanConfig } from './Mean.ts';
import { reluGradConfig } from './ReluGrad.ts';
import { makeSumConfig } from './Sum.ts';
import { makeTileConfig } from './Tile.ts';

interface TrainingKernel {
  kernelName: string;
  /** Builds our config; `shipped` is the backend's own kernel, for cases ours hands back. */
  make(shipped: KernelFunc | undefined): KernelConfig;
  /** Replace a kernel the backend already has (ours is measured faster). */
  replace: boolean;
}

const fixed = (config: KernelConfig, replace: boolean): TrainingKernel => ({
  kernelName: config.kernelName,
  make: () => config,
  replace,
});

export const WASM_TRAINING_KERNELS: readonly TrainingKernel[] = [
  fixed(conv2DBackpropFilterConfig, false),
  fixed(conv2DBackpropInputConfig, true),
  fixed(depthwiseConv2dNativeBackpropFilterConfig, false),
  fixed(depthwiseConv2dNativeBackpropInputConfig, false),
  fixed(identityConfig, true),
  fixed(batchNormGradStatsConfig, false),
  fixed(batchNormTrainConfig, false),
  fixed(batchNormTrainGradConfig, false),
  fixed(reluGradConfig, false),
  { kernelName: tf.Cast, make: makeCastConfig, replace: true },
  { kernelName: tf.Tile, make: makeTileConfig, replace: true },
  { kernelName: tf.Sum, make: makeSumConfig, replace: true },
  { kernelName: tf.Mean, make: makeMeanConfig, replace: true },
  ...[tf.Multiply, tf.Add, tf.Sub, tf.RealDiv].map((kernelName) => ({
    kernelName,
    make: (shipped: KernelFunc | undefined) => makeBroadcastBinaryConfig(kernelName, shipped),
    replace: true,
  })),
];

const ours = new WeakSet<KernelFunc>();

/**
 * Registers the kernels for backend 'wasm', and the gradients that use them (../wasm-gradients);
 * returns the kernel names registered by this call (empty once done).
 */
export function registerWasmTrainingKernels(): string[] {
  registerWasmTrainingGradients();
  patchBatchNormalizationTraining();
  const registered: string[] = [];
  for (const kernel of WASM_TRAINING_KERNELS) {
    const existing = tf.getKernel(kernel.kernelName, 'wasm');
    if (existing && ours.has(existing.kernelFunc)) continue;
    if (existing && !kernel.replace) continue;
    const made = kernel.make(existing?.kernelFunc);
    // Keep the shipped kernel's setup: ours delegates to it, and when we register before the
    // backend is initialised, the backend runs only the setup of what is registered then.
    const config: KernelConfig = existing?.setupFunc ? { ...made, setupFunc: existing.setupFunc } : made;
    if (existing) tf.unregisterKernel(kernel.kernelName, 'wasm');
    tf.registerKernel(config);
    ours.add(config.kernelFunc);
    registered.push(kernel.kernelName);
  }
  return registered;
}

/** True when `kernelName` on wasm is one of ours. */
export function isMantaWasmKernel(kernelName: string): boolean {
  const existing = tf.getKernel(kernelName, 'wasm');
  return existing !== undefined && ours.has(existing.kernelFunc);
}
