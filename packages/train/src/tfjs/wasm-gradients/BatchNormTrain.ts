/**
 * The gradient of MantaBatchNormTrain (../wasm-kernels/BatchNormTrain.ts): one
 * MantaBatchNormTrainGrad kernel gives the gradients of x, scale and offset. The gradients of
 * the mean and variance outputs (zero unless something downstream of the loss used them) go
 * into dx too.
 */

import type { GradConfig, GradFunc, NamedAttrMap, Tensor } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD } from '../wasm-kernels/BatchNormTrain.ts';

const gradFunc = (dys: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
  const [dy, dMean, dVariance] = dys as Tensor[];
  const [x, scale, mean, variance] = saved;
  const [dx, dScale, dOffset] = tf
    .engine()
    .runKernel(BATCH_NORM_TRAIN_GRAD, { dy, x, mean, variance, scale, dMean, dVariance }, attrs) as Tensor[];
  return { x: () => dx, scale: () => dScale, offset: () => dOffset };
};

export const batchNormTrainGradConfig: GradConfig = {
  kernelName: BATCH_NORM_TRAIN,
  inputsToSave: ['x', 'scale'],
  outputsToSave: [false, true, true],
  gradFunc: gradFunc as unknown as GradFunc,
};
