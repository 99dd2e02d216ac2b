/**
 * Ring algorithms. The buffer is split into worldSize segments (segments.ts) and each segment
 * into chunks; every chunk travels the ring as its own chain of messages, so many chunks are in
 * flight at once and reduction of one overlaps transfer of the next.
 *
 * All-reduce is reduce-scatter then all-gather in one pass of 2(N-1) steps: at step k rank r
 * sends segment r-k-1 to rank r+1 and receives segment r-k-2 from rank r-1 (mod N); it adds for
 * the first N-1 steps (after which it owns the fully reduced segment r) and copies for the rest.
 * Each rank sends 2(N-1)/N of the buffer. Every segment is summed in one fixed order (starting
 * at the rank after its owner, going round), then copied verbatim: all ranks end bit-identical.
 */
import { roundToHalf } from './fp16.ts';
import type { OpLink } from './link.ts';
import { reduceInto } from './reduce.ts';
import { chunksOf, mod, type Span, segmentOf } from './segments.ts';
import type { CollectiveArray, ReduceOp } from './types.ts';

interface Pass {
  steps: number;
  /** Segment sent at step k (the one received at step k-1). */
  send(k: number): number;
  recv(k: number): number;
  /** Takes in (part of) the step-k message: `data` belongs at element `at` of the buffer. */
  apply(k: number, data: CollectiveArray, at: number): void;
}

async function ringPass(link: OpLink, buf: CollectiveArray, segments: Span[], pass: Pass): Promise<void> {
  const n = link.worldSize;
  if (n === 1 || pass.steps === 0) return;
  const next = mod(link.rank + 1, n);
  const prev = mod(link.rank - 1, n);
  const chunks = segments.map((s) => chunksOf(s, link.chunkElems));
  const width = Math.max(1, ...chunks.map((c) => c.length));
  const msg = (k: number, c: number) => k * width + c;

  for (const [c, span] of chunks[mod(pass.send(0), n)].entries()) link.send(next, msg(0, c), buf, span);
  const tasks: Promise<void>[] = [];
  for (let k = 0; k < pass.steps; k++) {
    chunks[mod(pass.recv(k), n)].forEach((span, c) => {
      tasks.push(
        link
          .recv(prev, msg(k, c), span, (data, at) => pass.apply(k, data, at))
          .then(() => {
            if (k + 1 < pass.steps) link.send(next, msg(k + 1, c), buf, span);
          }),
      );
    });
  }
  await Promise.all(tasks);
}

function segmentsFor(count: number, n: number): Span[] {
  return Array.from({ length: n }, (_, i) => segmentOf(count, n, i));
}

/** In-place ring all-reduce (mean is left as a sum: the caller divides). */
export async function ringAllReduce(link: OpLink, buf: CollectiveArray, op: ReduceOp): Promise<void> {
  const n = link.worldSize;
  const r = link.rank;
  await ringPass(link, buf, segmentsFor(buf.length, n), {
    steps: 2 * (n - 1),
    send: (k) => r - k - 1,
    recv: (k) => r - k - 2,
    apply(k, data, at) {
      if (k >= n - 1) {
        buf.set(data, at);
        return;
      }
      reduceInto(op, buf, at, data);
      // Owner of a finished segment rounds it as peers will decode it, so all ranks agree bit for bit.
      if (k === n - 2 && link.compressed) roundToHalf(buf as Float32Array, at, at + data.length);
    },
  });
}

/** Ring reduce-scatter, in place on `buf`: afterwards segment `rank` of `buf` holds the reduction. */
export async function ringReduceScatter(link: OpLink, buf: CollectiveArray, op: ReduceOp): Promise<void> {
  const n = link.worldSize;
  const r = link.rank;
  await ringPass(link, buf, segmentsFor(buf.length, n), {
    steps: n - 1,
    send: (k) => r - k - 1,
    recv: (k) => r - k - 2,
    apply: (_k, data, at) => reduceInto(op, buf, at, data),
  });
}

/** Ring all-gather into `out` (worldSize equal segments), this rank's part already in place. */
export async function ringAllGather(link: OpLink, out: CollectiveArray, partLength: number): Promise<void> {
  const n = link.worldSize;
  const r = link.rank;
  const segments = Array.from({ length: n }, (_, i) => ({
    start: i * partLength,
    end: (i + 1) * partLength,
  }));
  await ringPass(link, out, segments, {
    steps: n - 1,
    send: (k) => r - k,
    recv: (k) => r - k - 1,
    apply: (_k, data, at) => out.set(data, at),
  });
}
