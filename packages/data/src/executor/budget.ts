import type { Block, TypedArray } from '../block/index.ts';
import { blockBytes, columnBytes, isNumeric } from '../block/index.ts';
import type { ExecutionStats, StreamingLimits } from './types.ts';

export function emptyStats(): ExecutionStats {
  return {
    inFlightBytes: 0,
    inFlightBlocks: 0,
    peakInFlightBytes: 0,
    peakInFlightBlocks: 0,
    peakMaterializedBytes: 0,
    blocksRead: 0,
    rowsRead: 0,
    blocksOutput: 0,
    rowsOutput: 0,
    forcedAdmissions: 0,
    operators: [],
  };
}

/**
 * Accounts for every block the pipeline holds and gates reads so that held bytes and blocks
 * stay under the limits. A read is admitted when it fits with headroom for its transformed
 * output, or, to never deadlock, when the consumer is waiting and nothing else can progress.
 */
export class InFlightBudget {
  readonly stats: ExecutionStats = emptyStats();
  /** Consumer pulls waiting for a block. */
  demand = 0;
  /** Operators (and reads) running right now. */
  busy = 0;
  private readonly held = new Map<Block, { refs: number; views: ArrayBufferView[]; other: number }>();
  /** Memory is counted per underlying buffer, so views and shared columns are not counted twice. */
  private readonly buffers = new Map<ArrayBufferLike, { refs: number; counted: number }>();
  private readonly growth = new Map<unknown, { in: number; added: number }>();
  private waiters: (() => void)[] = [];
  /** Set when the consumer stopped early: reads stop, waits end. */
  cancelled = false;

  constructor(readonly limits: StreamingLimits) {}

  private onCancel: () => void = () => {};
  /** Resolves when the execution is cancelled. */
  readonly whenCancelled = new Promise<void>((resolve) => {
    this.onCancel = resolve;
  });

  cancel(): void {
    this.cancelled = true;
    this.onCancel();
    this.notify();
  }

  /** Hold a block; returns the bytes it added (memory not already held by other blocks). */
  track(block: Block): number {
    const entry = this.held.get(block);
    if (entry) {
      entry.refs++;
      return 0;
    }
    const views: ArrayBufferView[] = [];
    let other = 0;
    let added = 0;
    for (const c of Object.values(block.columns)) {
      if (!isNumeric(c.dtype)) {
        other += columnBytes(c);
        continue;
      }
      const view = c.data as TypedArray;
      views.push(view);
      const buf = this.buffers.get(view.buffer) ?? { refs: 0, counted: 0 };
      buf.refs++;
      if (view.byteLength > buf.counted) {
        added += view.byteLength - buf.counted;
        buf.counted = view.byteLength;
      }
      this.buffers.set(view.buffer, buf);
    }
    this.held.set(block, { refs: 1, views, other });
    this.add(added + other, 1);
    return added + other;
  }

  release(block: Block): void {
    const entry = this.held.get(block);
    if (!entry) return;
    if (--entry.refs > 0) return;
    this.held.delete(block);
    let freed = entry.other;
    for (const view of entry.views) {
      const buf = this.buffers.get(view.buffer);
      if (!buf || --buf.refs > 0) continue;
      freed += buf.counted;
      this.buffers.delete(view.buffer);
    }
    this.add(-freed, -1);
  }

  /** Size of a block's data (views counted at their own length). */
  bytesOf(block: Block): number {
    return blockBytes(block);
  }

  /** Register a transform stage; until it has seen data it is assumed to double what it gets. */
  stage(key: unknown): void {
    if (!this.growth.has(key)) this.growth.set(key, { in: 0, added: 0 });
  }

  /** An operator turned `input` into `output`: hold the output, let the input go. */
  handoff(stage: unknown, input: Block, output: Block): void {
    if (input === output) return;
    this.noteGrowth(stage, this.bytesOf(input), this.track(output));
    this.release(input);
  }

  /** A stage took `inBytes` and allocated `added` new bytes for its output. */
  noteGrowth(stage: unknown, inBytes: number, added: number): void {
    const g = this.growth.get(stage) ?? { in: 0, added: 0 };
    g.in += inBytes;
    g.added += added;
    this.growth.set(stage, g);
  }

  /** How much memory a block may need at its peak on the way through the stages (>= 1). */
  growthFactor(): number {
    let f = 1;
    for (const g of this.growth.values()) f *= g.in > 0 ? 1 + g.added / g.in : 2;
    return f;
  }

  add(bytes: number, blocks: number): void {
    const s = this.stats;
    s.inFlightBytes += bytes;
    s.inFlightBlocks += blocks;
    if (s.inFlightBytes > s.peakInFlightBytes) s.peakInFlightBytes = s.inFlightBytes;
    if (s.inFlightBlocks > s.peakInFlightBlocks) s.peakInFlightBlocks = s.inFlightBlocks;
    this.notify();
  }

  setBusy(delta: number): void {
    this.busy += delta;
    this.notify();
  }

  setDemand(delta: number): void {
    this.demand += delta;
    this.notify();
  }

  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Room for a read of `estimate` bytes, grown by the stages downstream? */
  fits(estimate: number): boolean {
    const s = this.stats;
    if (s.inFlightBlocks === 0) return true;
    const cost = estimate * this.growthFactor();
    return (
      s.inFlightBytes + cost <= this.limits.maxInFlightBytes &&
      s.inFlightBlocks + 2 <= this.limits.maxInFlightBlocks
    );
  }

  /**
   * Wait until a read may start, then reserve its estimated bytes in the same tick as the
   * check (so concurrent readers cannot all pass one check); `estimate` is asked afresh each
   * time, as sizes are learned. `starved` says whether the consumer is blocked on this very
   * read: then it is forced through once nothing else runs. `hold` refuses admission for now
   * (other than forced); `onAdmit` runs in the admitting tick. Resolves to the bytes reserved,
   * or undefined when cancelled.
   */
  async admit(
    estimate: () => number,
    starved: () => boolean,
    cancelled: () => boolean,
    hold: () => boolean = () => false,
    onAdmit: () => void = () => {},
  ): Promise<number | undefined> {
    for (;;) {
      if (cancelled() || this.cancelled) return undefined;
      const bytes = estimate();
      let ok = !hold() && this.fits(bytes);
      if (!ok && this.demand > 0 && this.busy === 0 && starved()) {
        this.stats.forcedAdmissions++;
        ok = true;
      }
      if (ok) {
        this.add(bytes, 1);
        onAdmit();
        return bytes;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}
