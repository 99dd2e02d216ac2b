/**
 * Heartbeats over NATS, independent of the bulk transport: each rank publishes its rank on
 * `manta.collective.<group>.heartbeat` every `intervalMs`; a peer silent for `timeoutMs` is lost.
 * This is how a dead peer is named when no socket close tells us (NATS transport, or a host
 * that vanished without closing its connections).
 */
import type { NatsConnection, Subscription } from 'nats';

export const heartbeatSubject = (group: string) => `manta.collective.${group}.heartbeat`;

export class Liveness {
  private readonly lastSeen: number[];
  private readonly sub: Subscription;
  private readonly timer: NodeJS.Timeout;
  private readonly gone = new Set<number>();

  constructor(
    private readonly nc: NatsConnection,
    group: string,
    private readonly rank: number,
    worldSize: number,
    private readonly timeoutMs: number,
    readonly intervalMs: number,
  ) {
    this.lastSeen = new Array(worldSize).fill(Date.now());
    this.sub = nc.subscribe(heartbeatSubject(group), {
      callback: (error, msg) => {
        if (error || msg.data.length < 2) return;
        const from = msg.data[0] | (msg.data[1] << 8);
        if (from < this.lastSeen.length) this.lastSeen[from] = Date.now();
      },
    });
    const beat = new Uint8Array([rank & 0xff, rank >> 8]);
    const publish = () => {
      if (!nc.isClosed()) nc.publish(heartbeatSubject(group), beat);
    };
    publish();
    this.timer = setInterval(publish, intervalMs);
    this.timer.unref();
  }

  /** Every rank heard from recently again (call when a group starts being used after rendezvous). */
  reset(): void {
    this.lastSeen.fill(Date.now());
  }

  /** A rank that left cleanly is no longer expected to beat. */
  forget(rank: number): void {
    this.gone.add(rank);
  }

  /** The lowest rank silent for longer than the timeout, if any. */
  silent(now = Date.now()): number | undefined {
    for (let r = 0; r < this.lastSeen.length; r++) {
      if (r === this.rank || this.gone.has(r)) continue;
      if (now - this.lastSeen[r] > this.timeoutMs) return r;
    }
    return undefined;
  }

  stop(): void {
    clearInterval(this.timer);
    if (!this.nc.isClosed()) this.sub.unsubscribe();
  }
}
