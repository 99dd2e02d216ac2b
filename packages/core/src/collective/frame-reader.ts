/**
 * Reassembles length-prefixed frames from a byte stream (TCP). Each frame lands in its own
 * freshly allocated buffer, payload at offset 24 (8-byte aligned), so typed views need no copy.
 */
import { giveBuffer, takeBuffer } from './buffer-pool.ts';
import { decodeFrame, FRAME_HEADER_BYTES, payloadLength } from './frame.ts';
import type { Frame } from './types.ts';

export class FrameReader {
  private header = new Uint8Array(FRAME_HEADER_BYTES);
  private headerFill = 0;
  private body: Uint8Array | undefined;
  private bodyFill = 0;

  constructor(private readonly onFrame: (frame: Frame) => void) {}

  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      if (!this.body) {
        const take = Math.min(FRAME_HEADER_BYTES - this.headerFill, chunk.length - at);
        this.header.set(chunk.subarray(at, at + take), this.headerFill);
        this.headerFill += take;
        at += take;
        if (this.headerFill < FRAME_HEADER_BYTES) return;
        // Offset 0 (aligned), not zero-filled, recycled once the frame is consumed.
        this.body = takeBuffer(FRAME_HEADER_BYTES + payloadLength(this.header));
        this.body.set(this.header, 0);
        this.bodyFill = FRAME_HEADER_BYTES;
        this.headerFill = 0;
      }
      const take = Math.min(this.body.length - this.bodyFill, chunk.length - at);
      this.body.set(chunk.subarray(at, at + take), this.bodyFill);
      this.bodyFill += take;
      at += take;
      if (this.bodyFill === this.body.length) {
        const done = this.body;
        this.body = undefined;
        const frame = decodeFrame(done);
        frame.release = () => giveBuffer(done);
        this.onFrame(frame);
      }
    }
  }
}
