/**
 * All-reduce a list of tfjs tensors across a collective group. Tensors are read to host memory
 * bucket by bucket (async `data()`, so any backend works); each bucket goes out as one fused
 * transfer while the next bucket is being read, overlapping device reads with communication.
 * Resolves to NEW tensors in the same order; the inputs are left alone (the caller owns them).
 */
import { loadTf, readHost, readInto, tensorCopiesValues, toTensor } from './host.ts';
import type {
  AllReduceTensorsOptions,
  HostArray,
  ReduceOpName,
  Tensor,
  TensorReducer,
  TfLike,
} from './types.ts';

const DEFAULT_BUCKET_BYTES = 25 * 1024 * 1024;

/** Splits tensors (in order, so every rank plans alike) into runs of at most `bucketBytes`. */
export function planTensorBuckets(tensors: Tensor[], bucketBytes: number): number[][] {
  const buckets: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  tensors.forEach((t, i) => {
    const size = t.size * 4;
    if (current.length > 0 && bytes + size > bucketBytes) {
      buckets.push(current);
      current = [];
      bytes = 0;
    }
    current.push(i);
    bytes += size;
  });
  if (current.length > 0) buckets.push(current);
  return buckets;
}

export async function allReduceTensors(
  group: TensorReducer,
  tensors: Tensor[],
  op: ReduceOpName = 'mean',
  tf?: TfLike,
  options: AllReduceTensorsOptions = {},
): Promise<Tensor[]> {
  const tfjs = await loadTf(tf);
  const bucketBytes = options.bucketBytes ?? DEFAULT_BUCKET_BYTES;
  const host = new Array<HostArray>(tensors.length);
  const inFlight: Promise<unknown>[] = [];
  const staging = options.staging && tensorCopiesValues(tfjs) ? options.staging : undefined;
  let readError: unknown;
  try {
    for (const [bucket, members] of planTensorBuckets(tensors, bucketBytes).entries()) {
      if (members.every((i) => tensors[i].dtype === 'float32')) {
        // Read straight into one flat buffer: the group sends a lone buffer as it is, where
        // separate ones would be copied into a fused buffer and back (two more copies).
        const length = members.reduce((n, i) => n + tensors[i].size, 0);
        const flat = staging ? staging.get(bucket, length) : new Float32Array(length);
        let at = 0;
        for (const i of members) {
          await readInto(tfjs, tensors[i], flat, at);
          host[i] = flat.subarray(at, at + tensors[i].size);
          at += tensors[i].size;
        }
        inFlight.push(group.allReduceMany([flat], op, { bucketBytes: Number.MAX_SAFE_INTEGER }));
        continue;
      }
      const arrays = await Promise.all(members.map((i) => readHost(tensors[i])));
      for (const [j, i] of members.entries()) host[i] = arrays[j];
      // Not awaited: the next bucket's reads overlap this bucket's transfer.
      inFlight.push(group.allReduceMany(arrays, op, { bucketBytes: Number.MAX_SAFE_INTEGER }));
    }
  } catch (error) {
    readError = error;
  }
  // Never leave a transfer behind unobserved, even when a read failed.
  const settled = await Promise.allSettled(inFlight);
  if (readError !== undefined) throw readError;
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return tensors.map((t, i) => toTensor(tfjs, host[i], t));
}
