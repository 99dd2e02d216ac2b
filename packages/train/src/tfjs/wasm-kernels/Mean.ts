/** Mean for wasm: leading-axes float32 means without a transpose (see reduce-leading.ts); others go to the shipped kernel. */

import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { makeReduceConfig } from './reduce-leading.ts';

export function makeMeanConfig(fallback: KernelFunc | undefined): KernelConfig {
  return makeReduceConfig(tf.Mean, true, fallback);
}
