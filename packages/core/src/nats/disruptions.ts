import { randomBytes } from 'node:crypto';
import type { NatsConnection } from 'nats';
import { Subjects } from '../protocol/subjects.ts';

/** Quiet time after the last disruption signal before recovery runs (merges bursts of reconnects). */
const SETTLE_MS = 300;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Core NATS is at-most-once: when a server of the cluster dies, messages in flight through it,
 * and messages for its clients until they have reconnected elsewhere, are lost. Every message
 * lost that way was sent or addressed to a client of that server, and each of those clients
 * sees its connection drop and come back. So a client that reconnects tells everyone
 * (`manta.event.reconnected`), and every Manta process then runs its recovery: re-sends what
 * may have been lost and asks again for what it still waits for. Receivers deduplicate.
 *
 * One tracker per connection; `disruptions(nc)` creates it on first use.
 */
export class Disruptions {
  private readonly id = randomBytes(8).toString('hex');
  private connected = true;
  private lastAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly recoverers = new Set<() => void>();
  private readonly waiters = new Set<() => void>();
  /** Incremented at every recovery. */
  epoch = 0;

  constructor(private readonly nc: NatsConnection) {
    nc.subscribe(Subjects.reconnected, {
      callback: (error, msg) => {
        if (!error && decoder.decode(msg.data) !== this.id) this.signal();
      },
    });
    void this.watch();
  }

  private async watch(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === 'disconnect') {
        this.connected = false;
        this.lastAt = Date.now();
      } else if (status.type === 'reconnect') {
        this.connected = true;
        // nats.js has re-sent our subscriptions before this event, so by the time others hear
        // this, the cluster routes messages for us again.
        this.nc.publish(Subjects.reconnected, encoder.encode(this.id));
        this.signal();
      }
    }
  }

  private signal(): void {
    this.lastAt = Date.now();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.recover(), SETTLE_MS);
    this.timer.unref();
  }

  private recover(): void {
    // Still disconnected: our own reconnect will signal again.
    if (!this.connected || this.nc.isClosed()) return;
    this.epoch++;
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
    for (const recover of this.recoverers) {
      try {
        recover();
      } catch {
        // a recoverer's failure must not stop the others
      }
    }
  }

  /** Runs `recover` after every disruption, once connected again; returns an unsubscribe. */
  onRecover(recover: () => void): () => void {
    this.recoverers.add(recover);
    return () => this.recoverers.delete(recover);
  }

  /** Resolves at the next recovery; `cancel` forgets the waiter. */
  nextRecovery(): { promise: Promise<void>; cancel: () => void } {
    let wake!: () => void;
    const promise = new Promise<void>((resolve) => {
      wake = resolve;
    });
    this.waiters.add(wake);
    return { promise, cancel: () => this.waiters.delete(wake) };
  }

  /** True while disconnected or within `withinMs` of a disruption. */
  recentlyDisrupted(withinMs = 15_000): boolean {
    return !this.connected || Date.now() - this.lastAt < withinMs;
  }
}

const trackers = new WeakMap<NatsConnection, Disruptions>();

export function disruptions(nc: NatsConnection): Disruptions {
  let tracker = trackers.get(nc);
  if (!tracker) {
    tracker = new Disruptions(nc);
    trackers.set(nc, tracker);
  }
  return tracker;
}

/**
 * Runs `attempt` and starts it again after each disruption that happens before it settles (its
 * request or reply may have been lost). The abandoned attempt is told through its AbortSignal.
 */
export async function retryOnDisruption<T>(
  nc: NatsConnection,
  attempt: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const tracker = disruptions(nc);
  for (;;) {
    const controller = new AbortController();
    const running = attempt(controller.signal);
    const recovery = tracker.nextRecovery();
    const outcome = await Promise.race([
      running.then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      ),
      recovery.promise.then(() => undefined),
    ]);
    recovery.cancel();
    if (outcome === undefined) {
      controller.abort();
      running.catch(() => undefined);
      continue;
    }
    if ('error' in outcome) throw outcome.error;
    return outcome.value;
  }
}
