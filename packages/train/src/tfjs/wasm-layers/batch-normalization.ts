/**
 * The BatchNormalization layer's training step on wasm as one op (MantaBatchNormTrain, see
 * ../wasm-kernels/BatchNormTrain.ts) instead of tfjs's moments + batchNorm composition, whose
 * forward and gradient cost about a dozen activation-sized passes per layer (measured: the
 * largest share of a ResNet training step after the convolutions).
 *
 * tfjs-layers builds the training graph inside the layer's `call`, so this wraps `call` on
 * the layer class: in training mode on the wasm backend, for a float32 input normalised over
 * every axis but the last, with scale and center (the layer's defaults), it computes the
 * output with the fused op and updates the moving statistics exactly as tfjs-layers does
 * (moving = moving - (moving - batch) * (1 - momentum), biased batch variance). Every other
 * case (inference, another backend or axis) runs the layer's own `call`.
 */

import * as tf from '@tensorflow/tfjs';
import { BATCH_NORM_TRAIN } from '../wasm-kernels/BatchNormTrain.ts';

interface WeightVariable {
  read(): tf.Tensor;
  write(value: tf.Tensor): unknown;
}

/** The fields of tfjs-layers' BatchNormalization that its `call` reads. */
interface BatchNormalizationLayer {
  axis: number;
  momentum: number;
  epsilon: number;
  gamma?: WeightVariable;
  beta?: WeightVariable;
  movingMean: WeightVariable;
  movingVariance: WeightVariable;
}

type Call = (
  this: BatchNormalizationLayer,
  inputs: tf.Tensor | tf.Tensor[],
  kwargs: Record<string, unknown>,
) => tf.Tensor;

const PATCHED = Symbol.for('manta.wasmBatchNormTraining');

/** Wraps BatchNormalization's `call` (idempotent); returns true when this call did it. */
export function patchBatchNormalizationTraining(): boolean {
  const proto = Object.getPrototypeOf(tf.layers.batchNormalization({})) as { call: Call; [PATCHED]?: true };
  if (proto[PATCHED]) return false;
  const original = proto.call;
  proto.call = function (this: BatchNormalizationLayer, inputs, kwargs) {
    const input = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
    const fused =
      kwargs?.training === true &&
      tf.getBackend() === 'wasm' &&
      input !== undefined &&
      input.rank >= 2 &&
      input.dtype === 'float32' &&
      (this.axis === -1 || this.axis === input.rank - 1) &&
      this.gamma !== undefined &&
      this.gamma !== null &&
      this.beta !== undefined &&
      this.beta !== null;
    if (!fused) return original.call(this, inputs, kwargs);
    return tf.tidy(() => {
      const [y, mean, variance] = tf
        .engine()
        .runKernel(
          BATCH_NORM_TRAIN,
          { x: input, scale: this.gamma!.read(), offset: this.beta!.read() },
          { varianceEpsilon: this.epsilon },
        ) as tf.Tensor[];
      movingAverage(this.movingMean, mean, this.momentum);
      movingAverage(this.movingVariance, variance, this.momentum);
      return y;
    });
  };
  proto[PATCHED] = true;
  return true;
}

/** tfjs-layers' update of a moving statistic, op for op. */
function movingAverage(variable: WeightVariable, value: tf.Tensor, momentum: number): void {
  tf.tidy(() => {
    const decay = 1 - momentum;
    const orig = variable.read();
    variable.write(tf.sub(orig, tf.mul(tf.sub(orig, value), decay)));
  });
}
