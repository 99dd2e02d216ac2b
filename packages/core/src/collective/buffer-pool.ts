/**
 * Recycles the buffers incoming TCP frames are assembled in. A 64 MB all-reduce receives
 * hundreds of multi-megabyte frames; allocating each afresh kept V8's collector busy (~10% of a
 * rank's time in profiles). Buffers are kept per exact size, up to a cap.
 */
const MAX_POOLED_BYTES = 256 * 1024 * 1024;
const free = new Map<number, Uint8Array[]>();
let pooledBytes = 0;

/** A buffer of exactly `size` bytes at offset 0 of its own ArrayBuffer (contents undefined). */
export function takeBuffer(size: number): Uint8Array {
  const list = free.get(size);
  const buf = list?.pop();
  if (buf) {
    pooledBytes -= size;
    return buf;
  }
  return Buffer.allocUnsafeSlow(size);
}

/** Hands a buffer from `takeBuffer` back; the caller must not touch it afterwards. */
export function giveBuffer(buf: Uint8Array): void {
  if (
    pooledBytes + buf.byteLength > MAX_POOLED_BYTES ||
    buf.byteOffset !== 0 ||
    buf.buffer.byteLength !== buf.byteLength
  )
    return;
  const list = free.get(buf.byteLength);
  if (list) list.push(buf);
  else free.set(buf.byteLength, [buf]);
  pooledBytes += buf.byteLength;
}
