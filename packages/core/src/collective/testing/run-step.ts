/**
 * Runs one scenario step on a collective group and checks the result against the float64
 * reference (scenario.ts). Shared by the rank script (rank.ts) and the rank actors of the
 * integration tests, so both check the same things.
 */
import { segmentOf } from '../segments.ts';
import type { CollectiveArray, CollectiveGroup } from '../types.ts';
import { compare, hashBytes, input, reference, type Step, type StepResult } from './scenario.ts';

/** `beforeCall` runs right before the collective call (after the inputs are built). */
export async function runStep(
  group: CollectiveGroup,
  step: Step,
  index: number,
  beforeCall: () => void = () => undefined,
): Promise<Omit<StepResult, 'ms'>> {
  const rank = group.rank;
  const N = group.worldSize;
  const fp16 = group.compression === 'fp16';
  switch (step.kind) {
    case 'barrier':
      beforeCall();
      await group.barrier();
      return { ok: true };
    case 'allReduce': {
      const buf = input(step.dtype, step.length, rank, index);
      beforeCall();
      await group.allReduce(buf, step.op, { algorithm: step.algorithm });
      const { ref, absSum } = reference(step.dtype, step.length, N, index, step.op);
      return { ...compare(buf, ref, absSum, 0, step.dtype, step.op, N, fp16), hash: hashBytes(buf) };
    }
    case 'allReduceMany': {
      // Every array of the list is one "sub-step" index*1000+j so inputs differ.
      const bufs = step.lengths.map((len, j) => input(step.dtype, len, rank, index * 1000 + j));
      beforeCall();
      const result = await group.allReduceMany(bufs, step.op, { bucketBytes: step.bucketBytes });
      let ok = result === bufs;
      let maxErr = 0;
      const hashes: string[] = [];
      step.lengths.forEach((len, j) => {
        const { ref, absSum } = reference(step.dtype, len, N, index * 1000 + j, step.op);
        const c = compare(bufs[j], ref, absSum, 0, step.dtype, step.op, N, fp16);
        ok &&= c.ok;
        maxErr = Math.max(maxErr, c.maxErr);
        hashes.push(hashBytes(bufs[j]));
      });
      return { ok, maxErr, hash: hashes.join(',') };
    }
    case 'broadcast': {
      const buf = input(step.dtype, step.length, rank, index);
      beforeCall();
      await group.broadcast(buf, step.root);
      const expected = input(step.dtype, step.length, step.root, index);
      return { ok: hashBytes(buf) === hashBytes(expected), hash: hashBytes(buf) };
    }
    case 'allGather': {
      const mine = input(step.dtype, step.length, rank, index);
      beforeCall();
      const got = await group.allGather(mine);
      let ok = got.length === N * step.length;
      for (let r = 0; r < N && ok; r++) {
        ok =
          hashBytes(got.subarray(r * step.length, (r + 1) * step.length)) ===
          hashBytes(input(step.dtype, step.length, r, index));
      }
      return { ok, hash: hashBytes(got) };
    }
    case 'reduceScatter': {
      const buf = input(step.dtype, step.length, rank, index);
      const before = hashBytes(buf);
      beforeCall();
      const got: CollectiveArray = await group.reduceScatter(buf, step.op);
      const seg = segmentOf(step.length, N, rank);
      const { ref, absSum } = reference(step.dtype, step.length, N, index, step.op);
      const c = compare(got, ref, absSum, seg.start, step.dtype, step.op, N, fp16);
      return {
        ok: c.ok && got.length === seg.end - seg.start && hashBytes(buf) === before,
        maxErr: c.maxErr,
        hash: hashBytes(got),
      };
    }
  }
}

/** Runs a step and reports a failure as data (the error's name, code, rank and message). */
export async function runStepReporting(
  group: CollectiveGroup,
  step: Step,
  index: number,
  beforeCall?: () => void,
): Promise<StepResult> {
  const started = performance.now();
  try {
    return { ...(await runStep(group, step, index, beforeCall)), ms: performance.now() - started };
  } catch (error) {
    const e = error as { name: string; code?: string; rank?: number; message: string };
    return {
      ok: false,
      error: { name: e.name, code: e.code, rank: e.rank, message: e.message },
      ms: performance.now() - started,
    };
  }
}
