/**
 * Gradients that replace tfjs's own while the wasm backend is active, for the ops whose
 * gradient tfjs composes from many activation-sized kernels (see each module). Gradients are
 * registered per kernel for every backend at once, so each one here checks the active
 * backend when it runs and hands every other backend, and every case it does not cover, to
 * the gradient it replaced.
 *
 * Idempotent; registerWasmTrainingKernels() calls it.
 */

import type { GradConfig, GradFunc, NamedAttrMap, Tensor } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { BATCH_NORM_TRAIN } from '../wasm-kernels/BatchNormTrain.ts';
import { batchNormTrainGradConfig } from './BatchNormTrain.ts';
import { fusedBatchNormGrad } from './FusedBatchNorm.ts';
import { meanGrad } from './Mean.ts';
import { reluGrad } from './Relu.ts';

type WasmGrad = (dy: Tensor, saved: Tensor[], attrs: NamedAttrMap) => ReturnType<GradFunc> | null;

export const WASM_TRAINING_GRADIENTS: readonly { kernelName: string; grad: WasmGrad }[] = [
  { kernelName: tf.FusedBatchNorm, grad: fusedBatchNormGrad as WasmGrad },
  { kernelName: tf.Mean, grad: meanGrad },
  { kernelName: tf.Relu, grad: reluGrad as WasmGrad },
];

const ours = new WeakSet<GradFunc>();

/** Registers the gradients; returns the kernel names registered by this call (empty once done). */
export function registerWasmTrainingGradients(): string[] {
  const registered: string[] = [];
  // Our own kernel's gradient (it runs on wasm only).
  if (!tf.getGradient(BATCH_NORM_TRAIN)) {
    tf.registerGradient(batchNormTrainGradConfig);
    registered.push(BATCH_NORM_TRAIN);
  }
  for (const { kernelName, grad } of WASM_TRAINING_GRADIENTS) {
    const original = tf.getGradient(kernelName);
    if (!original || ours.has(original.gradFunc)) continue;
    const gradFunc: GradFunc = (dy, saved, attrs) => {
      const fast = tf.getBackend() === 'wasm' ? grad(dy as Tensor, saved, attrs) : null;
      return fast ?? original.gradFunc(dy, saved, attrs);
    };
    const config: GradConfig = { ...original, gradFunc };
    tf.registerGradient(config);
    ours.add(gradFunc);
    registered.push(kernelName);
  }
  return registered;
}

/** True when the gradient registered for `kernelName` is one of ours. */
export function isMantaWasmGradient(kernelName: string): boolean {
  const config = tf.getGradient(kernelName);
  return config !== undefined && ours.has(config.gradFunc);
}
