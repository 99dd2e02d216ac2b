/**
 * Element-wise reduction kernels. `into[i] = into[i] (op) from[i]`, always accumulating in the
 * destination's own type, in one fixed order, so every rank computes bit-identical results.
 * max/min propagate NaN like Math.max/Math.min.
 */
import { simdSum } from './simd.ts';
import type { CollectiveArray, ReduceOp } from './types.ts';

export const REDUCE_CODES = { sum: 1, mean: 2, max: 3, min: 4 } as const satisfies Record<ReduceOp, number>;

type Kernel = (into: CollectiveArray, at: number, from: CollectiveArray) => void;

// One sum loop per array type keeps each loop monomorphic (several times faster in V8 than one
// loop seeing three typed-array kinds). Int32Array stores wrap modulo 2^32: exact for int32.
function sumF32(into: Float32Array, at: number, from: Float32Array): void {
  const n = from.length;
  for (let i = 0; i < n; i++) into[at + i] += from[i];
}
function sumF64(into: Float64Array, at: number, from: Float64Array): void {
  const n = from.length;
  for (let i = 0; i < n; i++) into[at + i] += from[i];
}
function sumI32(into: Int32Array, at: number, from: Int32Array): void {
  const n = from.length;
  for (let i = 0; i < n; i++) into[at + i] += from[i];
}

const sum: Kernel = (into, at, from) => {
  if (simdSum(into, at, from)) return;
  if (into instanceof Float32Array) sumF32(into, at, from as Float32Array);
  else if (into instanceof Float64Array) sumF64(into, at, from as Float64Array);
  else sumI32(into, at, from as Int32Array);
};

const max: Kernel = (into, at, from) => {
  const n = from.length;
  for (let i = 0; i < n; i++) {
    const b = from[i];
    const a = into[at + i];
    if (b > a || Number.isNaN(b)) into[at + i] = b;
  }
};

const min: Kernel = (into, at, from) => {
  const n = from.length;
  for (let i = 0; i < n; i++) {
    const b = from[i];
    const a = into[at + i];
    if (b < a || Number.isNaN(b)) into[at + i] = b;
  }
};

/** Registry of kernels by op; `mean` reduces as `sum` and is divided at the end (see `finishMean`). */
const KERNELS: Record<ReduceOp, Kernel> = { sum, mean: sum, max, min };

export function reduceInto(op: ReduceOp, into: CollectiveArray, at: number, from: CollectiveArray): void {
  KERNELS[op](into, at, from);
}

/** Divides a summed buffer by `n`; int32 means truncate toward zero. */
export function finishMean(buf: CollectiveArray, n: number): void {
  const len = buf.length;
  if (buf instanceof Int32Array) {
    for (let i = 0; i < len; i++) buf[i] = Math.trunc(buf[i] / n);
  } else {
    for (let i = 0; i < len; i++) buf[i] = buf[i] / n;
  }
}
