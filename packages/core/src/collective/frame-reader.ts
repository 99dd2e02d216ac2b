/**
 * Reassembles length-prefixed frames from a byte stream (TCP), driven the way a socket's `onread`
 * option drives it: `target()` says where the next read may land, `wrote(n)` reports that `n`
 * bytes landed there. So the kernel copies each byte once, straight to where it is used:
 *
 * - Headers (and small frames) are read into a reused scratch buffer.
 * - A payload someone already waits for (`sinkFor` returns a sink) is streamed through the
 *   scratch buffer to the sink piece by piece, while it is still hot in cache: a ring step
 *   reduces each piece into its destination as it lands, with no frame buffer at all.
 * - Any other payload is read straight into a pooled frame buffer (payload at offset 24, 8-byte
 *   aligned, so typed views need no copy) and handed over as a Frame with `release`.
 */
import { giveBuffer, takeBuffer } from './buffer-pool.ts';
import { decodeFrame, FRAME_HEADER_BYTES, payloadLength } from './frame.ts';
import type { Frame, PayloadSink } from './types.ts';

/** Large enough that one read moves a good share of a socket's queue, small enough to stay in L2. */
export const SCRATCH_BYTES = 256 * 1024;

export interface FrameReaderEvents {
  onFrame(frame: Frame): void;
  /** Where the payload of `head` (a frame with an empty payload) should go, if anyone waits for it. */
  sinkFor?(head: Frame, length: number): PayloadSink | undefined;
}

const HEADER = 0;
const INTO_BUFFER = 1;
const INTO_SINK = 2;
const EMPTY = new Uint8Array(0);

export class FrameReader {
  private readonly scratch: Uint8Array = Buffer.allocUnsafeSlow(SCRATCH_BYTES);
  private state = HEADER;
  /** HEADER: unparsed bytes at scratch[0, fill). */
  private fill = 0;
  /** INTO_BUFFER: the frame being assembled (header at 0) and how much of it is there. */
  private body: Uint8Array = EMPTY;
  private bodyFill = 0;
  /** INTO_SINK: the frame's head, its sink, payload bytes still to read, and the partial element carried at scratch[0, carry). */
  private head: Frame | undefined;
  private sink: PayloadSink | undefined;
  private remaining = 0;
  private carry = 0;

  constructor(private readonly events: FrameReaderEvents) {}

  /** Where the next bytes of the stream may be written (never beyond the current frame's payload). */
  target(): Uint8Array {
    if (this.state === INTO_BUFFER) return this.body.subarray(this.bodyFill);
    if (this.state === INTO_SINK)
      return this.scratch.subarray(
        this.carry,
        this.carry + Math.min(this.remaining, SCRATCH_BYTES - this.carry),
      );
    return this.scratch.subarray(this.fill);
  }

  /** `n` bytes were written at the start of the last `target()`. */
  wrote(n: number): void {
    if (this.state === INTO_BUFFER) {
      this.bodyFill += n;
      if (this.bodyFill === this.body.length) {
        this.state = HEADER;
        this.fill = 0;
        this.emitBody(this.body);
      }
    } else if (this.state === INTO_SINK) {
      this.remaining -= n;
      this.feedScratch(this.carry + n);
    } else {
      this.fill += n;
      this.parse();
    }
  }

  /** Copies `chunk` through `target()`/`wrote()` (tests, and streams without `onread`). */
  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      const into = this.target();
      const take = Math.min(into.length, chunk.length - at);
      into.set(chunk.subarray(at, at + take));
      at += take;
      this.wrote(take);
    }
  }

  private parse(): void {
    const s = this.scratch;
    let at = 0;
    while (this.fill - at >= FRAME_HEADER_BYTES) {
      const length = payloadLength(s, at);
      const avail = Math.min(length, this.fill - at - FRAME_HEADER_BYTES);
      const sink = length > 0 ? this.events.sinkFor?.(headOf(s, at), length) : undefined;
      if (!sink) {
        const body = takeBuffer(FRAME_HEADER_BYTES + length);
        body.set(s.subarray(at, at + FRAME_HEADER_BYTES + avail));
        at += FRAME_HEADER_BYTES + avail;
        if (avail === length) {
          this.emitBody(body);
          continue;
        }
        this.state = INTO_BUFFER;
        this.body = body;
        this.bodyFill = FRAME_HEADER_BYTES + avail;
        return;
      }
      const head = headOf(s, at);
      at += FRAME_HEADER_BYTES;
      if (avail === length) {
        feedWhole(sink, s.subarray(at, at + length));
        at += length;
        this.events.onFrame({ ...head, sunk: true });
        continue;
      }
      // The payload goes on past what was read: stream the rest through the scratch buffer.
      s.copyWithin(0, at, this.fill);
      this.state = INTO_SINK;
      this.head = head;
      this.sink = sink;
      this.remaining = length - avail;
      this.fill = 0;
      this.feedScratch(avail);
      return;
    }
    if (at > 0) {
      s.copyWithin(0, at, this.fill);
      this.fill -= at;
    }
  }

  /** Hands the whole elements of scratch[0, total) to the sink; keeps the partial one. */
  private feedScratch(total: number): void {
    const sink = this.sink!;
    const whole = total - (total % sink.elementBytes);
    if (whole > 0) sink.accept(this.scratch.subarray(0, whole));
    this.carry = total - whole;
    if (this.carry > 0) this.scratch.copyWithin(0, whole, total);
    if (this.remaining > 0) return;
    const head = this.head!;
    this.state = HEADER;
    this.fill = 0;
    this.carry = 0;
    this.head = undefined;
    this.sink = undefined;
    this.events.onFrame({ ...head, sunk: true });
  }

  private emitBody(body: Uint8Array): void {
    this.body = EMPTY;
    const frame = decodeFrame(body);
    frame.release = () => giveBuffer(body);
    this.events.onFrame(frame);
  }
}

function headOf(bytes: Uint8Array, at: number): Frame {
  const frame = decodeFrame(bytes.subarray(at, at + FRAME_HEADER_BYTES));
  frame.payload = EMPTY;
  return frame;
}

/** A whole payload read along with its header: aligned views are passed as they are. */
function feedWhole(sink: PayloadSink, bytes: Uint8Array): void {
  sink.accept(bytes.byteOffset % sink.elementBytes === 0 ? bytes : new Uint8Array(bytes));
}
