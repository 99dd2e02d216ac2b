/**
 * Test scenarios shared by the rank script and the tests: deterministic per-rank inputs and a
 * float64 reference, so every rank can check its own result without seeing the others' data.
 */
import type { CollectiveArray, Dtype, ReduceOp } from '../types.ts';

export type Step =
  | { kind: 'allReduce'; dtype: Dtype; length: number; op: ReduceOp; algorithm?: 'ring' | 'naive' }
  | { kind: 'allReduceMany'; dtype: Dtype; lengths: number[]; op: ReduceOp; bucketBytes?: number }
  | { kind: 'broadcast'; dtype: Dtype; length: number; root: number }
  | { kind: 'allGather'; dtype: Dtype; length: number }
  | { kind: 'reduceScatter'; dtype: Dtype; length: number; op: ReduceOp }
  | { kind: 'barrier' };

export interface StepResult {
  ok: boolean;
  /** Largest |got - reference| over the result. */
  maxErr?: number;
  /** FNV-1a of the result bytes: equal across ranks when results are bit-identical. */
  hash?: string;
  error?: { name: string; code?: string; rank?: number; message: string };
  ms: number;
}

const CTORS = { float32: Float32Array, float64: Float64Array, int32: Int32Array };

/** Input of `rank` for step `index`: ints in [-1000, 1000], floats in [-1, 1). */
export function input(dtype: Dtype, length: number, rank: number, index: number): CollectiveArray {
  const out = new CTORS[dtype](length);
  let s = (rank * 2654435761 + index * 40503 + 12345) >>> 0;
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = dtype === 'int32' ? (s % 2001) - 1000 : s / 2 ** 31 - 1;
  }
  return out;
}

/** float64 reference of reducing every rank's input. */
export function reference(
  dtype: Dtype,
  length: number,
  worldSize: number,
  index: number,
  op: ReduceOp,
): { ref: Float64Array; absSum: Float64Array } {
  const ref = new Float64Array(length);
  const absSum = new Float64Array(length);
  for (let r = 0; r < worldSize; r++) {
    const x = input(dtype, length, r, index);
    for (let i = 0; i < length; i++) {
      const v = x[i];
      absSum[i] += Math.abs(v);
      if (r === 0) ref[i] = v;
      else if (op === 'sum' || op === 'mean') ref[i] += v;
      else if (op === 'max') ref[i] = Math.max(ref[i], v);
      else ref[i] = Math.min(ref[i], v);
    }
  }
  if (op === 'mean')
    for (let i = 0; i < length; i++)
      ref[i] = dtype === 'int32' ? Math.trunc(ref[i] / worldSize) : ref[i] / worldSize;
  return { ref, absSum };
}

/** Compares `got` with `ref[offset..]`: exact for int32/max/min, within recursive-summation rounding for floats. */
export function compare(
  got: CollectiveArray,
  ref: Float64Array,
  absSum: Float64Array,
  offset: number,
  dtype: Dtype,
  op: ReduceOp,
  worldSize: number,
  fp16: boolean,
): { ok: boolean; maxErr: number } {
  const eps = fp16 && dtype === 'float32' ? 2 ** -11 : dtype === 'float32' ? 2 ** -24 : 2 ** -53;
  const exact = dtype === 'int32' || ((op === 'max' || op === 'min') && !fp16);
  let maxErr = 0;
  let ok = true;
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i] - ref[offset + i]);
    maxErr = Math.max(maxErr, err);
    const scale = op === 'mean' ? 1 / worldSize : 1;
    const tol = exact
      ? 0
      : (worldSize + 1) *
          eps *
          (op === 'max' || op === 'min' ? 1 : absSum[offset + i]) *
          scale *
          (fp16 ? 2 : 1) +
        1e-300;
    if (!(err <= tol)) ok = false;
  }
  return { ok, maxErr };
}

export function hashBytes(buf: CollectiveArray): string {
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 16777619);
  return (h >>> 0).toString(16);
}
