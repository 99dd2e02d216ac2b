/**
 * Tensor fusion (Horovod) / gradient buckets (PyTorch DDP): packs many small arrays of one dtype
 * into few flat buffers of at most `bucketBytes`, so a step costs a few large transfers instead of
 * many small ones. An array larger than a bucket travels alone, without a copy.
 */
import { allocLike } from './dtype.ts';
import type { CollectiveArray } from './types.ts';

export interface Bucket<T extends CollectiveArray> {
  /** Indices into the caller's list. */
  members: number[];
  /** The caller's array itself when the bucket has a single member; a packed copy otherwise. */
  flat: T;
}

/**
 * Groups consecutive arrays (in the caller's order, so every rank buckets alike) into buckets;
 * a change of dtype starts a new bucket.
 */
export function planBuckets<T extends CollectiveArray>(buffers: T[], bucketBytes: number): number[][] {
  const plans: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  buffers.forEach((buf, i) => {
    const sameType = current.length > 0 && buffers[current[0]].constructor === buf.constructor;
    if (current.length > 0 && (!sameType || bytes + buf.byteLength > bucketBytes)) {
      plans.push(current);
      current = [];
      bytes = 0;
    }
    current.push(i);
    bytes += buf.byteLength;
  });
  if (current.length > 0) plans.push(current);
  return plans;
}

export function pack<T extends CollectiveArray>(buffers: T[], members: number[]): Bucket<T> {
  if (members.length === 1) return { members, flat: buffers[members[0]] };
  const total = members.reduce((n, i) => n + buffers[i].length, 0);
  const flat = allocLike(buffers[members[0]], total);
  let at = 0;
  for (const i of members) {
    flat.set(buffers[i], at);
    at += buffers[i].length;
  }
  return { members, flat };
}

export function unpack<T extends CollectiveArray>(buffers: T[], bucket: Bucket<T>): void {
  if (bucket.members.length === 1) return;
  let at = 0;
  for (const i of bucket.members) {
    const n = buffers[i].length;
    buffers[i].set(bucket.flat.subarray(at, at + n));
    at += n;
  }
}
