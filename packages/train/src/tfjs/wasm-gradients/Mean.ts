/**
 * Mean's gradient on wasm for a float32 reduction over leading axes (batch norm's statistics
 * over N, H, W): dx is dy / n repeated over the reduced axes, written in one pass by the Tile
 * kernel. tfjs's gradient multiplies dy by an activation-sized tensor of ones and divides the
 * product: three full passes. Other reductions use tfjs's gradient.
 */

import type { GradFunc, NamedAttrMap, Tensor } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { leadingAxes } from '../wasm-kernels/reduce-leading.ts';

export function meanGrad(dy: Tensor, saved: Tensor[], attrs: NamedAttrMap): ReturnType<GradFunc> | null {
  const [x] = saved;
  const { axis } = attrs as unknown as { axis: number | number[] };
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') return null;
  const k = leadingAxes(x.shape, axis);
  if (k === 0) return null;
  const reduced = x.shape.slice(0, k);
  const count = tf.util.sizeFromShape(reduced);
  return {
    x: () => {
      const perRow = tf.reshape(tf.div(dy, count), [...reduced.map(() => 1), ...x.shape.slice(k)]);
      return tf.tile(perRow, [...reduced, ...x.shape.slice(k).map(() => 1)]);
    },
  };
}
