/**
 * CollectiveGroupImpl: sequencing, header checks, failure handling and timeouts around the
 * algorithms (ring.ts, broadcast.ts, naive.ts) and a transport (transports.ts).
 *
 * Failure model (like an NCCL communicator): the first failure of an op (a lost rank, a timeout,
 * a mismatched call) rejects that op on this rank, is sent to every peer as an `abort` frame so
 * theirs reject at once too, and breaks the group: later calls reject with the same cause.
 * Create a new group to go on.
 */
import { CollectiveError } from '../errors/index.ts';
import { chainBroadcast } from './broadcast.ts';
import { allocLike, DTYPE_CODES, dtypeOf } from './dtype.ts';
import { sameOp } from './frame.ts';
import { pack, planBuckets, unpack } from './fusion.ts';
import { describeOp, OP_CODES, OpLink } from './link.ts';
import type { Liveness } from './liveness.ts';
import { Mailbox } from './mailbox.ts';
import { naiveAllReduce } from './naive.ts';
import { parseBucketOptions } from './options.ts';
import { finishMean, REDUCE_CODES } from './reduce.ts';
import { ringAllGather, ringAllReduce, ringReduceScatter } from './ring.ts';
import { segmentOf } from './segments.ts';
import {
  type AllReduceAlgorithm,
  type AllReduceManyOptions,
  type CollectiveArray,
  type CollectiveGroup,
  type Compression,
  type Dtype,
  type Frame,
  FrameKind,
  type OpHeader,
  type PayloadSink,
  type ReduceOp,
  type Transport,
  type TransportName,
} from './types.ts';

interface ActiveOp {
  header: OpHeader;
  lastProgress: number;
  error?: CollectiveError;
}

export interface GroupSettings {
  group: string;
  rank: number;
  worldSize: number;
  transport: TransportName;
  compression: Compression;
  timeoutMs: number;
  chunkBytes: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const NO_OP: OpHeader = { code: 0, dtype: 0, count: 0, arg: 0, wire: 0 };

export class CollectiveGroupImpl implements CollectiveGroup {
  readonly group: string;
  readonly rank: number;
  readonly worldSize: number;
  readonly transport: TransportName;
  readonly compression: Compression;
  private readonly mailbox = new Mailbox();
  private readonly active = new Map<number, ActiveOp>();
  private nextSeq = 0;
  private broken: CollectiveError | undefined;
  private destroyed = false;
  private wire: Transport | undefined;
  private liveness: Liveness | undefined;
  private watchdog: NodeJS.Timeout | undefined;

  constructor(private readonly settings: GroupSettings) {
    this.group = settings.group;
    this.rank = settings.rank;
    this.worldSize = settings.worldSize;
    this.transport = settings.transport;
    this.compression = settings.compression;
  }

  /** Called once the transport is connected. */
  attach(wire: Transport, liveness: Liveness): void {
    this.wire = wire;
    this.liveness = liveness;
    liveness.reset();
    this.watchdog = setInterval(
      () => this.check(),
      Math.max(50, Math.min(liveness.intervalMs, this.settings.timeoutMs / 4)),
    );
    this.watchdog.unref();
  }

  // ---- public API ----

  async allReduce<T extends CollectiveArray>(
    buf: T,
    op: ReduceOp = 'sum',
    options: { algorithm?: AllReduceAlgorithm } = {},
  ): Promise<T> {
    const dtype = this.dtype(buf, 'allReduce');
    const algorithm = options.algorithm ?? 'ring';
    const code = algorithm === 'naive' ? OP_CODES.naive : OP_CODES.allReduce;
    await this.run(code, dtype, buf.length, this.reduceCode(op), this.wireFor(dtype), async (link) => {
      if (algorithm === 'naive') await naiveAllReduce(link, buf, op);
      else await ringAllReduce(link, buf, op);
    });
    if (op === 'mean') finishMean(buf, this.worldSize);
    return buf;
  }

  async allReduceMany<T extends CollectiveArray>(
    buffers: T[],
    op: ReduceOp = 'sum',
    options: AllReduceManyOptions = {},
  ): Promise<T[]> {
    const { bucketBytes } = parseBucketOptions(options);
    for (const [i, buf] of buffers.entries()) this.dtype(buf, `allReduceMany buffers[${i}]`);
    const pending: Promise<unknown>[] = [];
    for (const members of planBuckets(buffers, bucketBytes)) {
      const bucket = pack(buffers, members);
      // Buckets go out back to back (consecutive sequence numbers), overlapping each other.
      pending.push(this.allReduce(bucket.flat, op).then(() => unpack(buffers, bucket)));
    }
    await Promise.all(pending);
    return buffers;
  }

  async broadcast<T extends CollectiveArray>(buf: T, root: number): Promise<T> {
    const dtype = this.dtype(buf, 'broadcast');
    if (!Number.isInteger(root) || root < 0 || root >= this.worldSize) {
      throw new CollectiveError(
        this.group,
        `broadcast root must be an integer in 0..${this.worldSize - 1} (got ${root})`,
        this.rank,
      );
    }
    await this.run(OP_CODES.broadcast, dtype, buf.length, root, 0, (link) => chainBroadcast(link, buf, root));
    return buf;
  }

  async allGather<T extends CollectiveArray>(buf: T): Promise<T> {
    const dtype = this.dtype(buf, 'allGather');
    const out = allocLike(buf, buf.length * this.worldSize);
    out.set(buf, this.rank * buf.length);
    await this.run(OP_CODES.allGather, dtype, buf.length, 0, 0, (link) =>
      ringAllGather(link, out, buf.length),
    );
    return out;
  }

  async reduceScatter<T extends CollectiveArray>(buf: T, op: ReduceOp = 'sum'): Promise<T> {
    const dtype = this.dtype(buf, 'reduceScatter');
    const work = buf.slice() as T;
    await this.run(
      OP_CODES.reduceScatter,
      dtype,
      buf.length,
      this.reduceCode(op),
      this.wireFor(dtype),
      (link) => ringReduceScatter(link, work, op),
    );
    const mine = segmentOf(buf.length, this.worldSize, this.rank);
    const out = work.slice(mine.start, mine.end) as T;
    if (op === 'mean') finishMean(out, this.worldSize);
    return out;
  }

  async barrier(): Promise<void> {
    // An all-gather of one element per rank: it completes only once every rank has entered.
    const out = new Int32Array(this.worldSize);
    out[this.rank] = this.rank;
    await this.run(OP_CODES.barrier, 'int32', 1, 0, 0, (link) => ringAllGather(link, out, 1));
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    const error = new CollectiveError(
      this.group,
      `Collective group '${this.group}' was destroyed on rank ${this.rank}`,
      this.rank,
    );
    for (const seq of this.active.keys()) this.failOp(seq, error, false);
    clearInterval(this.watchdog);
    this.liveness?.stop();
    if (this.wire) {
      for (let peer = 0; peer < this.worldSize; peer++) {
        if (peer !== this.rank)
          this.wire.send(peer, this.frame(FrameKind.bye, this.nextSeq, NO_OP, new Uint8Array(0)));
      }
      await this.wire.close();
    }
  }

  // ---- transport events ----

  onFrame(frame: Frame): void {
    if (frame.kind === FrameKind.bye) {
      this.liveness?.forget(frame.from);
      this.mailbox.closeFrom(
        frame.from,
        new CollectiveError(
          this.group,
          `Rank ${frame.from} left group '${this.group}' (destroy() was called there)`,
          frame.from,
        ),
      );
      return;
    }
    if (frame.kind === FrameKind.abort) {
      const lost = frame.op.count > 0 ? frame.op.count - 1 : frame.from;
      const text = decoder.decode(frame.payload);
      this.breakAll(
        new CollectiveError(
          this.group,
          `Collective call #${frame.seq} aborted by rank ${frame.from}: ${text}`,
          lost,
        ),
        false,
      );
      return;
    }
    const op = this.active.get(frame.seq);
    if (!op) {
      // A frame for an op this rank has already finished or failed is stale: drop it.
      if (this.isPast(frame.seq)) return;
    } else {
      op.lastProgress = Date.now();
      if (!sameOp(op.header, frame.op)) {
        this.failOp(frame.seq, this.mismatch(frame.seq, op.header, frame), true);
        return;
      }
    }
    this.mailbox.deliver(frame);
  }

  /** A streaming transport asks where a data frame's payload goes: the sink of the wait for it, if any. */
  sinkFor(head: Frame, length: number): PayloadSink | undefined {
    if (head.kind !== FrameKind.data) return undefined;
    const op = this.active.get(head.seq);
    // Mismatches (and everything else unusual) take the frame path, which reports them.
    if (!op || op.error || !sameOp(op.header, head.op)) return undefined;
    op.lastProgress = Date.now();
    return this.mailbox.claimSink(head.seq, head.from, head.msg, length);
  }

  onPeerLost(rank: number, reason: string): void {
    this.breakAll(
      new CollectiveError(this.group, `Rank ${rank} of group '${this.group}' was lost: ${reason}`, rank),
      true,
    );
  }

  // ---- machinery ----

  private async run(
    code: number,
    dtype: Dtype,
    count: number,
    arg: number,
    wire: number,
    body: (link: OpLink) => Promise<void>,
  ): Promise<void> {
    if (this.destroyed)
      throw new CollectiveError(this.group, `Collective group '${this.group}' is destroyed`, this.rank);
    if (this.broken)
      throw new CollectiveError(
        this.group,
        `Group '${this.group}' is broken: ${this.broken.message}`,
        this.broken.rank,
        { cause: this.broken },
      );
    if (count > 0xffffffff)
      throw new CollectiveError(this.group, `Buffer too long: ${count} elements (at most 2^32-1)`, this.rank);
    const seq = this.nextSeq;
    this.nextSeq = (this.nextSeq + 1) >>> 0;
    const header: OpHeader = { code, dtype: DTYPE_CODES[dtype], count, arg, wire };
    const op: ActiveOp = { header, lastProgress: Date.now() };
    this.active.set(seq, op);
    try {
      for (const frame of this.mailbox.peek(seq)) {
        if (!sameOp(header, frame.op)) throw this.failOp(seq, this.mismatch(seq, header, frame), true);
      }
      const link = new OpLink(
        {
          group: this.group,
          rank: this.rank,
          worldSize: this.worldSize,
          transport: this.wire!,
          mailbox: this.mailbox,
          chunkBytes: this.settings.chunkBytes,
        },
        seq,
        header,
        dtype,
      );
      await body(link);
      await this.wire!.settled();
      if (op.error) throw op.error;
    } catch (error) {
      if (op.error) throw op.error;
      if (error instanceof CollectiveError) throw this.failOp(seq, error, true);
      throw this.failOp(
        seq,
        new CollectiveError(
          this.group,
          `Collective call #${seq} failed: ${(error as Error).message}`,
          this.rank,
          { cause: error },
        ),
        true,
      );
    } finally {
      this.active.delete(seq);
      this.mailbox.dropSeq(seq);
    }
  }

  /** Fails op `seq` (once), breaks the group and, when `propagate`, tells every peer. Returns the op's error. */
  private failOp(seq: number, error: CollectiveError, propagate: boolean): CollectiveError {
    const op = this.active.get(seq);
    if (op?.error) return op.error;
    if (op) op.error = error;
    this.broken ??= error;
    this.mailbox.failSeq(seq, error);
    if (propagate && this.wire && !this.destroyed) {
      const lost = error.rank !== undefined && error.rank !== this.rank ? error.rank + 1 : 0;
      const payload = encoder.encode(error.message);
      for (let peer = 0; peer < this.worldSize; peer++) {
        if (peer !== this.rank)
          this.wire.send(peer, this.frame(FrameKind.abort, seq, { ...NO_OP, count: lost }, payload));
      }
    }
    return error;
  }

  private breakAll(error: CollectiveError, propagate: boolean): void {
    this.broken ??= error;
    if (error.rank !== undefined && error.rank !== this.rank) this.mailbox.closeFrom(error.rank, error);
    for (const seq of [...this.active.keys()]) this.failOp(seq, error, propagate);
  }

  /** Periodic: silent peers (heartbeats) and ops without progress for timeoutMs. */
  private check(): void {
    if (this.active.size === 0 || this.destroyed) return;
    const now = Date.now();
    const silent = this.liveness?.silent(now);
    if (silent !== undefined) {
      this.onPeerLost(silent, `no heartbeat for over ${this.settings.timeoutMs} ms`);
      return;
    }
    for (const [seq, op] of this.active) {
      if (op.error || now - op.lastProgress <= this.settings.timeoutMs) continue;
      const waiting = this.mailbox.waitingOn(seq);
      const who = waiting.length > 0 ? `rank(s) ${waiting.join(', ')}` : 'peers';
      this.failOp(
        seq,
        new CollectiveError(
          this.group,
          `Collective call #${seq} (${describeOp(op.header)}) timed out after ${this.settings.timeoutMs} ms waiting for ${who}`,
          waiting[0],
        ),
        true,
      );
    }
  }

  private isPast(seq: number): boolean {
    // Sequence numbers wrap at 2^32; "past" means within the last 2^31.
    return (this.nextSeq - 1 - seq) >>> 0 < 0x80000000;
  }

  private mismatch(seq: number, mine: OpHeader, frame: Frame): CollectiveError {
    return new CollectiveError(
      this.group,
      `Mismatched collective call #${seq}: rank ${this.rank} called ${describeOp(mine)} but rank ${frame.from} called ${describeOp(frame.op)}`,
      frame.from,
    );
  }

  private frame(kind: FrameKind, seq: number, op: OpHeader, payload: Uint8Array): Frame {
    return { kind, from: this.rank, seq, msg: 0, op, payload };
  }

  private dtype(buf: unknown, what: string): Dtype {
    const dtype = dtypeOf(buf);
    if (!dtype) {
      const got = buf === null || typeof buf !== 'object' ? typeof buf : (buf as object).constructor?.name;
      throw new CollectiveError(
        this.group,
        `${what}: expected a Float32Array, Float64Array or Int32Array (got ${got})`,
        this.rank,
      );
    }
    return dtype;
  }

  private reduceCode(op: ReduceOp): number {
    const code = (REDUCE_CODES as Record<string, number | undefined>)[op];
    if (code === undefined)
      throw new CollectiveError(
        this.group,
        `Unknown reduce op '${op}'; known: ${Object.keys(REDUCE_CODES).join(', ')}`,
        this.rank,
      );
    return code;
  }

  private wireFor(dtype: Dtype): number {
    return this.compression === 'fp16' && dtype === 'float32' ? 1 : 0;
  }
}
