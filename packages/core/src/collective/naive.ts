/**
 * The naive all-reduce the ring is measured against: every rank sends its whole buffer to rank
 * 0, which reduces in rank order and sends the result to every rank. Rank 0's link carries
 * 2(N-1) whole buffers, so it is the bottleneck the ring removes.
 */
import { roundToHalf } from './fp16.ts';
import type { OpLink } from './link.ts';
import { reduceInto } from './reduce.ts';
import { chunksOf } from './segments.ts';
import type { CollectiveArray, ReduceOp } from './types.ts';

export async function naiveAllReduce(link: OpLink, buf: CollectiveArray, op: ReduceOp): Promise<void> {
  const n = link.worldSize;
  if (n === 1) return;
  const chunks = chunksOf({ start: 0, end: buf.length }, link.chunkElems);
  const back = chunks.length;
  if (link.rank !== 0) {
    for (const [c, span] of chunks.entries()) link.send(0, c, buf, span);
    await Promise.all(chunks.map((span, c) => link.recv(0, back + c, span, (data, at) => buf.set(data, at))));
    return;
  }
  await Promise.all(
    chunks.map(async (span, c) => {
      // Reduce in rank order (frames that arrive early wait in the mailbox).
      for (let from = 1; from < n; from++)
        await link.recv(from, c, span, (data, at) => reduceInto(op, buf, at, data));
      if (link.compressed) roundToHalf(buf as Float32Array, span.start, span.end);
      for (let to = 1; to < n; to++) link.send(to, back + c, buf, span);
    }),
  );
}
