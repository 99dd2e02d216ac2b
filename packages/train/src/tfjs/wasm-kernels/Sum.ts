/** Sum for wasm: leading-axes float32 sums without a transpose (see reduce-leading.ts); others go to the shipped kernel. */

import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { makeReduceConfig } from './reduce-leading.ts';

export function makeSumConfig(fallback: KernelFunc | undefined): KernelConfig {
  return makeReduceConfig(tf.Sum, false, fallback);
}
