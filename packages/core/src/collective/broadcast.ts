/**
 * Pipelined chain broadcast: root sends chunks to root+1, which forwards each chunk as it lands,
 * and so on to root-1. Every rank receives the buffer once; latency is one buffer plus N-2 chunks.
 */
import type { OpLink } from './link.ts';
import { chunksOf, mod } from './segments.ts';
import type { CollectiveArray } from './types.ts';

export async function chainBroadcast(link: OpLink, buf: CollectiveArray, root: number): Promise<void> {
  const n = link.worldSize;
  if (n === 1) return;
  const position = mod(link.rank - root, n);
  const next = mod(link.rank + 1, n);
  const prev = mod(link.rank - 1, n);
  const chunks = chunksOf({ start: 0, end: buf.length }, link.chunkElems);
  if (position === 0) {
    for (const [c, span] of chunks.entries()) link.send(next, c, buf, span);
    return;
  }
  await Promise.all(
    chunks.map((span, c) =>
      link
        .recv(prev, c, span, (data, at) => buf.set(data, at))
        .then(() => {
          if (position < n - 1) link.send(next, c, buf, span);
        }),
    ),
  );
}
