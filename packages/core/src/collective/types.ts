/**
 * The contract of collective communication: a group of `worldSize` ranks that all-reduce,
 * broadcast and gather typed arrays. Implementations live beside this file; transports are
 * listed in `transports.ts`.
 */
import type { NatsConnection } from 'nats';

/** Element types a collective accepts, as `as const` object + derived union. */
export const Dtype = { float32: 'float32', float64: 'float64', int32: 'int32' } as const;
export type Dtype = (typeof Dtype)[keyof typeof Dtype];

export type CollectiveArray = Float32Array | Float64Array | Int32Array;

export const ReduceOp = { sum: 'sum', mean: 'mean', max: 'max', min: 'min' } as const;
export type ReduceOp = (typeof ReduceOp)[keyof typeof ReduceOp];

/** Wire encodings: `fp16` halves float32 traffic (values are rounded to float16 on the wire; reduced in float32). */
export const Compression = { none: 'none', fp16: 'fp16' } as const;
export type Compression = (typeof Compression)[keyof typeof Compression];

export type TransportName = 'tcp' | 'nats';

export interface CollectiveGroupOptions {
  /** A connected NATS client: used for rendezvous and liveness (and bulk bytes with transport 'nats'). */
  nc: NatsConnection;
  /** Group name; subjects are `manta.collective.<group>.*`. Letters, digits, `-` and `_`. */
  group: string;
  rank: number;
  worldSize: number;
  /** Where bulk bytes travel; default 'tcp' (see DEFAULT_TRANSPORT in transports.ts). */
  transport?: TransportName;
  /**
   * Longest wait without progress (rendezvous, and each collective call) before the call rejects
   * with a CollectiveError; default 30 000 ms. A peer whose heartbeats stop for this long is
   * declared lost even sooner than the call's own deadline.
   */
  timeoutMs?: number;
  /** Wire encoding of float32 data; default 'none'. Every rank must use the same. */
  compression?: Compression;
  /** Interface TCP listeners bind to and advertise (transport 'tcp'); default 127.0.0.1. */
  host?: string;
  /**
   * Bytes per pipelined chunk (capped by the transport's message limit: ~1 MB on NATS); default
   * 4 MiB. Smaller chunks pipeline deeper; on the 2-core loopback benchmark machine fewer,
   * larger frames won (per-frame costs dominate there).
   */
  chunkBytes?: number;
}

export interface AllReduceManyOptions {
  /** Largest fused transfer in bytes (Horovod tensor fusion / DDP buckets); default 25 MB. */
  bucketBytes?: number;
}

/** The algorithm used by `allReduce`; 'naive' (all to rank 0, reduce, broadcast) exists to benchmark against. */
export type AllReduceAlgorithm = 'ring' | 'naive';

/**
 * A collective group. Every call must be made by every rank in the same order with buffers of
 * the same dtype and length (checked on the wire; a mismatch rejects on every rank).
 *
 * In place vs returned: `allReduce`, `allReduceMany` and `broadcast` work IN PLACE on the
 * caller's arrays and resolve to the same arrays; `allGather` and `reduceScatter` change shape,
 * so they resolve to NEW arrays and leave their input untouched. All ranks end bit-identical.
 */
export interface CollectiveGroup {
  readonly group: string;
  readonly rank: number;
  readonly worldSize: number;
  readonly transport: TransportName;
  readonly compression: Compression;
  allReduce<T extends CollectiveArray>(
    buf: T,
    op?: ReduceOp,
    options?: { algorithm?: AllReduceAlgorithm },
  ): Promise<T>;
  allReduceMany<T extends CollectiveArray>(
    buffers: T[],
    op?: ReduceOp,
    options?: AllReduceManyOptions,
  ): Promise<T[]>;
  broadcast<T extends CollectiveArray>(buf: T, root: number): Promise<T>;
  /** Resolves to a new array of worldSize × buf.length elements, rank r's input at [r·len, (r+1)·len). */
  allGather<T extends CollectiveArray>(buf: T): Promise<T>;
  /**
   * Reduces across ranks and resolves to this rank's segment (a new array): the buffer is split
   * into worldSize segments, the first `length % worldSize` one element longer; see `segmentOf`.
   */
  reduceScatter<T extends CollectiveArray>(buf: T, op?: ReduceOp): Promise<T>;
  barrier(): Promise<void>;
  /** Leaves the group: closes sockets and subscriptions; pending calls reject. Idempotent. */
  destroy(): Promise<void>;
}

/** One message between two ranks: fixed header fields and a payload. */
export interface Frame {
  kind: FrameKind;
  from: number;
  seq: number;
  /** Message index within the op (step and chunk). */
  msg: number;
  /** Describes the op so receivers can reject mismatches. */
  op: OpHeader;
  payload: Uint8Array;
  /** Set by transports that recycle receive buffers: call once the payload is no longer needed. */
  release?: () => void;
  /** The payload already went to the sink its receiver offered (see `PayloadSink`); `payload` is empty. */
  sunk?: boolean;
}

/**
 * Where a receiver wants a payload to go as it arrives, instead of in one frame buffer: a
 * transport that streams (TCP) hands it the payload in pieces, in order, each a whole number of
 * elements aligned to `elementBytes`, valid only during the call.
 */
export interface PayloadSink {
  readonly elementBytes: number;
  /** The payload length this sink expects; a frame of another length is not streamed to it. */
  readonly byteLength: number;
  accept(part: Uint8Array): void;
  /** The wait it belongs to was abandoned (op failed): later pieces must be dropped. */
  close(): void;
}

export const FrameKind = { data: 1, abort: 2, bye: 3 } as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

/** What every rank must agree on for one collective call. */
export interface OpHeader {
  /** Operation code, see OpCode. */
  code: number;
  dtype: number;
  /** Element count of the call's input. */
  count: number;
  /** Reduce op code, or root rank for broadcast. */
  arg: number;
  /** 1 when payload is fp16-encoded float32. */
  wire: number;
}

/**
 * Moves frames between ranks. Implementations: one file each (`transport-tcp.ts`,
 * `transport-nats.ts`), listed in `transports.ts`.
 */
export interface Transport {
  readonly name: TransportName;
  /** Largest payload a single frame may carry, in bytes. */
  readonly maxPayload: number;
  /** Queues a frame; its payload may be a view of caller memory until `settled()` resolves. */
  send(to: number, frame: Frame): void;
  /** Resolves once no frame sent so far still references caller memory (awaited before an op resolves). */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/** Callbacks a transport reports into. */
export interface TransportEvents {
  onFrame(frame: Frame): void;
  /** The link to `rank` failed (socket closed or errored). */
  onPeerLost(rank: number, reason: string): void;
  /** Streaming transports ask this when a frame's header arrives: where its payload should go. */
  sinkFor?(head: Frame, length: number): PayloadSink | undefined;
}

/** What a transport needs to start: the group's identity plus rendezvous data. */
export interface TransportContext {
  nc: NatsConnection;
  group: string;
  rank: number;
  worldSize: number;
  host: string;
  events: TransportEvents;
}

/** A transport in two phases: `prepare` before rendezvous (returns what peers need), `connect` after. */
export interface TransportConfig {
  name: TransportName;
  prepare(ctx: TransportContext): Promise<PreparedTransport>;
}

export interface PreparedTransport {
  /** Published to peers during rendezvous (e.g. a TCP listen address). */
  address: string;
  /** Connects to peers given every rank's address (index = rank) and the rendezvous session id. */
  connect(addresses: string[], session: string, timeoutMs: number): Promise<Transport>;
  /** Releases what prepare opened, when rendezvous fails. */
  abandon(): Promise<void>;
}
