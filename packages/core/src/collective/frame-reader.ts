/**
 * Reassembles length-prefixed frames from a byte stream (TCP). Each payload lands in its own
 * freshly allocated buffer at an 8-byte aligned offset, so typed views need no further copy.
 */
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
        this.body = new Uint8Array(FRAME_HEADER_BYTES + payloadLength(this.header));
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
        this.onFrame(decodeFrame(done));
      }
    }
  }
}
