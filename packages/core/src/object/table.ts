import { ObjectLostError } from '../errors/index.ts';

type Entry =
  | { state: 'pending'; waiters: Array<() => void>; pins: number; refs: number }
  | { state: 'ready'; bytes: Uint8Array; pins: number; refs: number }
  | { state: 'failed'; error: Error; pins: number; refs: number };

/**
 * The owner's table of objects: task results on their way and values given to `put()`,
 * kept as encoded bytes (decoded on every `get`, so callers never share mutable state).
 *
 * Lifetime is owner-side reference counting: `refs` counts live ObjectRef instances in this
 * process (dropped by a FinalizationRegistry when they are garbage-collected), `pins` counts
 * in-flight tasks that take the object as an argument. At zero of both, the bytes are freed.
 */
export class ObjectTable {
  private readonly entries = new Map<string, Entry>();
  private bytesHeld = 0;

  create(id: string): void {
    if (!this.entries.has(id)) this.entries.set(id, { state: 'pending', waiters: [], pins: 0, refs: 0 });
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  get size(): number {
    return this.entries.size;
  }

  get bytes(): number {
    return this.bytesHeld;
  }

  resolve(id: string, bytes: Uint8Array): void {
    const entry = this.entries.get(id);
    if (entry?.state !== 'pending') return; // freed, or a duplicate result after a retry
    this.entries.set(id, { state: 'ready', bytes, pins: entry.pins, refs: entry.refs });
    this.bytesHeld += bytes.byteLength;
    for (const wake of entry.waiters) wake();
  }

  reject(id: string, error: Error): void {
    const entry = this.entries.get(id);
    if (entry?.state !== 'pending') return;
    this.entries.set(id, { state: 'failed', error, pins: entry.pins, refs: entry.refs });
    for (const wake of entry.waiters) wake();
  }

  isReady(id: string): boolean {
    const state = this.entries.get(id)?.state;
    return state === 'ready' || state === 'failed';
  }

  /** Waits until the object is ready or failed; returns its bytes or throws its error. */
  async wait(id: string): Promise<Uint8Array> {
    for (;;) {
      const entry = this.entries.get(id);
      if (!entry) throw new ObjectLostError(id, `object ${id} was freed or never existed in this process`);
      if (entry.state === 'ready') return entry.bytes;
      if (entry.state === 'failed') throw entry.error;
      await new Promise<void>((resolve) => entry.waiters.push(resolve));
    }
  }

  /** Calls `onReady` once the object is ready or failed (at once if it already is). */
  onSettled(id: string, onReady: () => void): void {
    const entry = this.entries.get(id);
    if (entry?.state !== 'pending') onReady();
    else entry.waiters.push(onReady);
  }

  addRef(id: string): void {
    const entry = this.entries.get(id);
    if (entry) entry.refs++;
  }

  removeRef(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    entry.refs--;
    this.collect(id, entry);
  }

  pin(id: string): void {
    const entry = this.entries.get(id);
    if (entry) entry.pins++;
  }

  unpin(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    entry.pins--;
    this.collect(id, entry);
  }

  /** Frees the object now, whatever holds it. */
  free(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    if (entry.state === 'ready') this.bytesHeld -= entry.bytes.byteLength;
    this.entries.delete(id);
  }

  private collect(id: string, entry: Entry): void {
    if (entry.refs > 0 || entry.pins > 0) return;
    // A pending result with no reference left is dropped when it arrives (resolve ignores it).
    this.free(id);
  }
}
