/**
 * Frames that arrived before anyone asked for them, and askers waiting for frames that have not
 * arrived, keyed by (seq, from, msg). Ops with different sequence numbers never mix.
 */
import type { Frame } from './types.ts';

interface Waiter {
  from: number;
  seq: number;
  resolve(frame: Frame): void;
  reject(error: Error): void;
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

  take(seq: number, from: number, msg: number): Promise<Frame> {
    const k = key(seq, from, msg);
    const frame = this.arrived.get(k);
    if (frame) {
      this.arrived.delete(k);
      return Promise.resolve(frame);
    }
    const gone = this.gone.get(from);
    if (gone) return Promise.reject(gone);
    return new Promise((resolve, reject) => this.waiting.set(k, { from, seq, resolve, reject }));
  }

  /** `from` will send nothing more: its unanswered waits (now and later) reject with `error`. */
  closeFrom(from: number, error: Error): void {
    if (!this.gone.has(from)) this.gone.set(from, error);
    for (const [k, waiter] of this.waiting) {
      if (waiter.from !== from) continue;
      this.waiting.delete(k);
      waiter.reject(error);
    }
  }

  /** Rejects every wait of op `seq` and forgets its frames. */
  failSeq(seq: number, error: Error): void {
    for (const [k, waiter] of this.waiting) {
      if (waiter.seq !== seq) continue;
      this.waiting.delete(k);
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
