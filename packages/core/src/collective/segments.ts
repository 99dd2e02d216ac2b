/** How a buffer of `count` elements is split into `parts` ring segments and pipelined chunks. */

export interface Span {
  start: number;
  end: number;
}

/** Segment `i` of `parts`: the first `count % parts` segments are one element longer. */
export function segmentOf(count: number, parts: number, i: number): Span {
  const base = Math.floor(count / parts);
  const extra = count % parts;
  const start = i * base + Math.min(i, extra);
  return { start, end: start + base + (i < extra ? 1 : 0) };
}

/** Splits `span` into chunks of at most `chunkElems` elements (none for an empty span). */
export function chunksOf(span: Span, chunkElems: number): Span[] {
  const chunks: Span[] = [];
  for (let s = span.start; s < span.end; s += chunkElems)
    chunks.push({ start: s, end: Math.min(span.end, s + chunkElems) });
  return chunks;
}

export function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}
