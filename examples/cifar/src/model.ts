/**
 * The demo's model: a small ResNet-style CNN for 32x32x3 images (CIFAR-10), built with the
 * tfjs layers API as a functional model. A stem convolution, then three stages of residual
 * blocks (conv-BN-ReLU-conv-BN + shortcut, ReLU); stages two and three halve the resolution
 * and double the width, with a 1x1 projection on the shortcut. Global average pooling and a
 * dense softmax head close it. With the defaults (width 32, one block per stage) it has
 * about 0.31M parameters (`blocks: 2`: about 0.70M).
 */
import * as tf from '@tensorflow/tfjs';

export interface CifarModelOptions {
  /** Channels of the stem and of the first stage; stages two and three use 2x and 4x. Default 32. */
  width?: number;
  /** Residual blocks per stage (three stages). Default 1. */
  blocks?: number;
  /** Output classes. Default 10. */
  numClasses?: number;
  /** Seed for the weight initialisers, so that two builds start from the same weights. */
  seed?: number;
}

export const CIFAR_INPUT_SHAPE = [32, 32, 3] as const;

export function buildCifarModel(options: CifarModelOptions = {}): tf.LayersModel {
  const width = options.width ?? 32;
  const blocks = options.blocks ?? 1;
  const numClasses = options.numClasses ?? 10;
  for (const [field, value] of Object.entries({ width, blocks, numClasses })) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`buildCifarModel: ${field} must be a positive integer, got ${value}`);
    }
  }
  let seed = options.seed;
  const init = () => tf.initializers.heNormal({ seed: seed === undefined ? undefined : seed++ });

  const conv = (x: tf.SymbolicTensor, filters: number, kernelSize: number, strides: number) =>
    tf.layers
      .conv2d({ filters, kernelSize, strides, padding: 'same', useBias: false, kernelInitializer: init() })
      .apply(x) as tf.SymbolicTensor;
  const bn = (x: tf.SymbolicTensor) =>
    // momentum 0.9 (not 0.99): the moving statistics must settle within a short run's few hundred steps.
    tf.layers.batchNormalization({ axis: -1, momentum: 0.9 }).apply(x) as tf.SymbolicTensor;
  const relu = (x: tf.SymbolicTensor) => tf.layers.reLU().apply(x) as tf.SymbolicTensor;

  const block = (x: tf.SymbolicTensor, filters: number, strides: number) => {
    let y = relu(bn(conv(x, filters, 3, strides)));
    y = bn(conv(y, filters, 3, 1));
    const inChannels = x.shape[x.shape.length - 1];
    const shortcut = strides !== 1 || inChannels !== filters ? bn(conv(x, filters, 1, strides)) : x;
    return relu(tf.layers.add().apply([y, shortcut]) as tf.SymbolicTensor);
  };

  const input = tf.input({ shape: [...CIFAR_INPUT_SHAPE] });
  let x = relu(bn(conv(input, width, 3, 1)));
  for (let stage = 0; stage < 3; stage++) {
    for (let i = 0; i < blocks; i++) {
      x = block(x, width << stage, stage > 0 && i === 0 ? 2 : 1);
    }
  }
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  const output = tf.layers
    .dense({
      units: numClasses,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
    })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: 'cifar_resnet' });
}
