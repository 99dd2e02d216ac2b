/**
 * The receiving side of numbered messages (actor calls) from many senders, made safe against
 * loss and repeats: a sender numbers its messages 1, 2, 3... (`seq`) and tells with each the
 * lowest number it still waits on (`low`), and re-sends what it still waits on after a NATS
 * disruption. The receiver then
 * - delivers each message once, in `seq` order per sender, holding ones that arrive early;
 * - answers a repeat of a finished message with its cached reply;
 * - forgets cached replies below `low` (the sender has them), and the oldest ones beyond
 *   `maxCachedBytes`.
 */
export class Sequencer<M> {
  private readonly senders = new Map<string, SenderState<M>>();
  private cachedBytes = 0;

  constructor(
    private readonly deliver: (message: M) => void,
    private readonly resend: (sender: string, reply: Uint8Array) => void,
    private readonly maxCachedBytes = 64 * 1024 * 1024,
  ) {}

  accept(sender: string, seq: number, low: number, message: M): void {
    let state = this.senders.get(sender);
    if (!state) {
      state = { next: low, held: new Map(), done: new Map() };
      this.senders.set(sender, state);
    }
    // Replies are cached in completion order, nearly `seq` order: drop from the front.
    for (const [doneSeq, reply] of state.done) {
      if (doneSeq >= low) break;
      state.done.delete(doneSeq);
      this.cachedBytes -= reply.byteLength;
    }
    if (state.next < low) {
      // Everything below `low` is settled at the sender (answered, or failed): none of it is to come.
      state.next = low;
      for (const heldSeq of state.held.keys()) if (heldSeq < low) state.held.delete(heldSeq);
    }
    if (seq < state.next) {
      const reply = state.done.get(seq);
      if (reply) this.resend(sender, reply); // a repeat of a finished message; else it is under way
    } else if (seq > state.next) {
      state.held.set(seq, message); // an earlier one is missing: wait for it
    } else {
      state.next++;
      this.deliver(message);
    }
    this.release(state);
  }

  /** Caches the reply to message `seq` of `sender`, for a repeat of it. */
  remember(sender: string, seq: number, reply: Uint8Array): void {
    const state = this.senders.get(sender);
    if (!state) return;
    state.done.set(seq, reply);
    this.cachedBytes += reply.byteLength;
    if (this.cachedBytes <= this.maxCachedBytes) return;
    for (const other of this.senders.values()) {
      for (const [doneSeq, cached] of other.done) {
        if (this.cachedBytes <= this.maxCachedBytes) return;
        other.done.delete(doneSeq);
        this.cachedBytes -= cached.byteLength;
      }
    }
  }

  private release(state: SenderState<M>): void {
    while (state.held.size > 0) {
      const message = state.held.get(state.next);
      if (message === undefined) return;
      state.held.delete(state.next);
      state.next++;
      this.deliver(message);
    }
  }
}

interface SenderState<M> {
  /** The next `seq` to deliver. */
  next: number;
  held: Map<number, M>;
  done: Map<number, Uint8Array>;
}
