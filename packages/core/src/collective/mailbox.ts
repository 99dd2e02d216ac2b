/**
 * Frames that arrived before anyone asked for them, and askers waiting for frames that have not
 * arrived, keyed by (seq, from, msg). Ops with different sequence numbers never mix.
 */
import type { Frame, PayloadSink } from './types.ts';

interface Waiter {
  from: number;
  seq: number;
  resolve(frame: Frame): void;
  reject(error: Error): void;
  /** Where the payload may be streamed (see `claimSink`), and whether a frame already took it. */
  sink?: PayloadSink;
  claimed?: boolean;
}

const key = (seq: number, from: number, msg: number) => `${seq}:${from}:${msg}`;

export class Mailbox {
  private readonly arrived = new Map<string, Frame>();
  private readonly waiting = new Map<string, Waiter>();
  /** Peers that will send nothing more; value is the error a new wait on them gets. */
  private readonly gone = new Map<number, Error>();

  deliver(frame: Frame): void {
    const k = key(frame.seq, frame.from, frame.msg);
    const waiter = this.waiting.get(k);
    if (waiter) {
      this.waiting.delete(k);
      waiter.resolve(frame);
    } else {
      this.arrived.set(k, frame);
    }
  }

  /**
   * Waits for frame (seq, from, msg). With a `sink`, a streaming transport may pour the payload
   * into it as it arrives; the frame then resolves with `sunk` set and an empty payload.
   */
  take(seq: number, from: number, msg: number, sink?: PayloadSink): Promise<Frame> {
    const k = key(seq, from, msg);
    const frame = this.arrived.get(k);
    if (frame) {
      this.arrived.delete(k);
      return Promise.resolve(frame);
    }
    const gone = this.gone.get(from);
    if (gone) return Promise.reject(gone);
    return new Promise((resolve, reject) => this.waiting.set(k, { from, seq, resolve, reject, sink }));
  }

  /** The sink of the wait for (seq, from, msg), once, if its expected length is `length`. */
  claimSink(seq: number, from: number, msg: number, length: number): PayloadSink | undefined {
    const waiter = this.waiting.get(key(seq, from, msg));
    if (!waiter?.sink || waiter.claimed || waiter.sink.byteLength !== length) return undefined;
    waiter.claimed = true;
    return waiter.sink;
  }

  /** `from` will send nothing more: its unanswered waits (now and later) reject with `error`. */
  closeFrom(from: number, error: Error): void {
    if (!this.gone.has(from)) this.gone.set(from, error);
    for (const [k, waiter] of this.waiting) {
      if (waiter.from !== from) continue;
      this.waiting.delete(k);
      waiter.sink?.close();
      waiter.reject(error);
    }
  }

  /** Rejects every wait of op `seq` and forgets its frames. */
  failSeq(seq: number, error: Error): void {
    for (const [k, waiter] of this.waiting) {
      if (waiter.seq !== seq) continue;
      this.waiting.delete(k);
      waiter.sink?.close();
      waiter.reject(error);
    }
    this.dropSeq(seq);
  }

  /** Frames of op `seq` that arrived before the op started here. */
  peek(seq: number): Frame[] {
    const prefix = `${seq}:`;
    const frames: Frame[] = [];
    for (const [k, frame] of this.arrived) if (k.startsWith(prefix)) frames.push(frame);
    return frames;
  }

  /** Forgets frames of op `seq` (finished or failed). */
  dropSeq(seq: number): void {
    const prefix = `${seq}:`;
    for (const k of this.arrived.keys()) if (k.startsWith(prefix)) this.arrived.delete(k);
  }

  /** Ranks this op is currently waiting on. */
  waitingOn(seq: number): number[] {
    const ranks = new Set<number>();
    for (const waiter of this.waiting.values()) if (waiter.seq === seq) ranks.add(waiter.from);
    return [...ranks].sort((a, b) => a - b);
  }
}
