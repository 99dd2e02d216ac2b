/**
 * The drivers that joined the cluster on their own (`init({ address })`), by the job id each
 * runs as, and when each was last heard from. A submitted job's end is told by its supervisor;
 * a driver that is SIGKILLed or loses its machine tells no one, so its heartbeats are watched
 * and its job ends when they stop, as a Ray driver's actors go with it.
 */
export class DriverLeases {
  private readonly lastSeen = new Map<string, number>();

  constructor(readonly timeoutMs: number) {}

  heard(jobId: string, now = Date.now()): void {
    this.lastSeen.set(jobId, now);
  }

  forget(jobId: string): void {
    this.lastSeen.delete(jobId);
  }

  /** After the head itself was stalled: silence over that span says nothing about the drivers. */
  restartClocks(now: number): void {
    for (const jobId of this.lastSeen.keys()) this.lastSeen.set(jobId, now);
  }

  /** The drivers silent for longer than the timeout; they are forgotten. */
  takeExpired(now: number): string[] {
    const expired: string[] = [];
    for (const [jobId, seen] of this.lastSeen) {
      if (now - seen > this.timeoutMs) expired.push(jobId);
    }
    for (const jobId of expired) this.lastSeen.delete(jobId);
    return expired;
  }
}
