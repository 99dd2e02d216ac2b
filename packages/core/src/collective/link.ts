/**
 * What a collective algorithm sees of the group for one op: typed sends and receives between
 * ranks, tagged with the op's sequence number and a message index, encoded for the wire
 * (raw bytes or fp16) and checked against this rank's op header on arrival.
 */
import { CollectiveError } from '../errors/index.ts';
import { dtypeName, viewAs } from './dtype.ts';
import { decodeHalf, encodeHalf } from './fp16.ts';
import { sameOp } from './frame.ts';
import type { Mailbox } from './mailbox.ts';
import type { Span } from './segments.ts';
import {
  type CollectiveArray,
  type Dtype,
  FrameKind,
  type OpHeader,
  type PayloadSink,
  type Transport,
} from './types.ts';

export const OP_NAMES: Record<number, string> = {
  1: 'allReduce',
  2: 'broadcast',
  3: 'allGather',
  4: 'reduceScatter',
  5: 'barrier',
  6: 'allReduce(naive)',
};
export const OP_CODES = {
  allReduce: 1,
  broadcast: 2,
  allGather: 3,
  reduceScatter: 4,
  barrier: 5,
  naive: 6,
} as const;
const REDUCE_NAMES: Record<number, string> = { 1: 'sum', 2: 'mean', 3: 'max', 4: 'min' };

export function describeOp(op: OpHeader): string {
  const what = `${OP_NAMES[op.code] ?? `op#${op.code}`} of ${op.count} ${dtypeName(op.dtype)}`;
  const arg =
    op.code === OP_CODES.broadcast
      ? ` from root ${op.arg}`
      : REDUCE_NAMES[op.arg]
        ? ` (${REDUCE_NAMES[op.arg]})`
        : '';
  return `${what}${arg}${op.wire ? ' fp16-compressed' : ''}`;
}

const PIPELINE_DEPTH = 4;
const MIN_PIPELINED_CHUNK = 256 * 1024;

export interface LinkContext {
  group: string;
  rank: number;
  worldSize: number;
  transport: Transport;
  mailbox: Mailbox;
  chunkBytes: number;
}

export class OpLink {
  readonly rank: number;
  readonly worldSize: number;
  /** Elements per chunk for this op's dtype and wire encoding. */
  readonly chunkElems: number;

  constructor(
    private readonly ctx: LinkContext,
    readonly seq: number,
    readonly header: OpHeader,
    readonly dtype: Dtype,
  ) {
    this.rank = ctx.rank;
    this.worldSize = ctx.worldSize;
    const elemBytes = header.wire ? 2 : dtypeBytes(dtype);
    // At least PIPELINE_DEPTH chunks per ring segment (down to MIN_PIPELINED_CHUNK): with one
    // chunk per segment a step cannot start before the previous one fully landed, so the link
    // idles during every reduction and wake-up (see the collective section of the README).
    const perRank = header.code === OP_CODES.allGather || header.code === OP_CODES.barrier;
    const segmentBytes = (perRank ? header.count : header.count / ctx.worldSize) * elemBytes;
    const pipelined = Math.max(MIN_PIPELINED_CHUNK, Math.ceil(segmentBytes / PIPELINE_DEPTH));
    const bytes = Math.min(ctx.chunkBytes, ctx.transport.maxPayload, pipelined);
    this.chunkElems = Math.max(1, Math.floor(bytes / elemBytes));
  }

  get compressed(): boolean {
    return this.header.wire === 1;
  }

  /** Sends elements `span` of `buf` to rank `to` as message `msg`. */
  send(to: number, msg: number, buf: CollectiveArray, span: Span): void {
    const part = buf.subarray(span.start, span.end);
    const payload = this.compressed
      ? new Uint8Array(encodeHalf(part as Float32Array).buffer)
      : new Uint8Array(part.buffer, part.byteOffset, part.byteLength);
    this.ctx.transport.send(to, {
      kind: FrameKind.data,
      from: this.rank,
      seq: this.seq,
      msg,
      op: this.header,
      payload,
    });
  }

  /**
   * Waits for message `msg` from rank `from`, elements `span` of the sender's buffer, and hands
   * it to `use` decoded to this op's dtype, with the index of its first element. Over a
   * streaming transport `use` sees the message in several consecutive pieces as they land;
   * otherwise in one. Each piece is valid only during its `use` call.
   */
  async recv(
    from: number,
    msg: number,
    span: Span,
    use: (data: CollectiveArray, at: number) => void,
  ): Promise<void> {
    const sink = this.sinkFor(span, use);
    const frame = await this.ctx.mailbox.take(this.seq, from, msg, sink);
    try {
      if (!sameOp(frame.op, this.header)) {
        throw new CollectiveError(
          this.ctx.group,
          `Mismatched collective call #${this.seq}: rank ${this.rank} called ${describeOp(this.header)} but rank ${from} called ${describeOp(frame.op)}`,
          from,
        );
      }
      if (frame.sunk) return;
      if (!this.compressed) {
        use(viewAs(this.dtype, frame.payload), span.start);
        return;
      }
      const bits = frame.payload.byteOffset % 2 === 0 ? frame.payload : new Uint8Array(frame.payload);
      use(decodeHalf(new Uint16Array(bits.buffer, bits.byteOffset, bits.byteLength / 2)), span.start);
    } finally {
      frame.release?.();
    }
  }

  /** A sink that decodes each piece and passes it on at its place in `span`. */
  private sinkFor(span: Span, use: (data: CollectiveArray, at: number) => void): PayloadSink {
    const compressed = this.compressed;
    const dtype = this.dtype;
    const elementBytes = compressed ? 2 : dtypeBytes(dtype);
    let at = span.start;
    let open = true;
    return {
      elementBytes,
      byteLength: (span.end - span.start) * elementBytes,
      accept(part) {
        if (!open) return;
        const data = compressed
          ? decodeHalf(new Uint16Array(part.buffer, part.byteOffset, part.byteLength / 2))
          : viewAs(dtype, part);
        use(data, at);
        at += data.length;
      },
      close() {
        open = false;
      },
    };
  }
}

function dtypeBytes(dtype: Dtype): number {
  return dtype === 'float64' ? 8 : 4;
}
