import type { NatsConnection } from 'nats';
import { encode, RemoteError } from '../codec/index.ts';
import { ActorDiedError } from '../errors/index.ts';
import type { Logger } from '../logging/index.ts';
import { publishFramed, serve } from '../nats/index.ts';
import { type ActorCall, type ActorEvent, ActorEventSchema, request, Subjects } from '../protocol/index.ts';

/** A call as the runtime makes it; the client numbers it (`seq`, `low`) when it sends it. */
export type CallBody = Omit<ActorCall, 'seq' | 'low' | 'args'> & { args: Uint8Array };

interface ActorView {
  rank: number;
  event: ActorEvent | undefined;
  /** Calls waiting for the actor to be ALIVE, in submission order. */
  queue: CallBody[];
  /** Calls sent and not settled, by call id, in `seq` order (so the first is the lowest). */
  inflight: Map<string, { seq: number; call: CallBody }>;
  nextSeq: number;
  known: Promise<void> | undefined;
}

const stateOrder = { PENDING: 0, RESTARTING: 1, ALIVE: 2, DEAD: 9 } as const;
const rankOf = (e: ActorEvent) => e.incarnation * 10 + stateOrder[e.state];

/**
 * This process's view of the actors it calls: sends calls in submission order while the actor
 * is ALIVE, holds them while it is PENDING or RESTARTING, and fails in-flight calls with
 * ActorDiedError when the actor's process dies (they may or may not have run).
 */
export class ActorClient {
  private readonly views = new Map<string, ActorView>();

  constructor(
    private readonly nc: NatsConnection,
    log: Logger,
    private readonly fail: (callId: string, error: Error) => void,
  ) {
    serve(nc, `${Subjects.actorEvents}.*`, ActorEventSchema, log, (event) => this.apply(event));
  }

  /** Sends (or queues) a call. */
  call(actorId: string, call: CallBody): void {
    const view = this.view(actorId);
    if (view.event?.state === 'ALIVE') {
      this.send(actorId, view, call);
    } else if (view.event?.state === 'DEAD') {
      this.fail(call.callId, this.deathError(actorId, view.event));
    } else {
      view.queue.push(call);
    }
  }

  private send(actorId: string, view: ActorView, call: CallBody): void {
    const seq = view.nextSeq++;
    view.inflight.set(call.callId, { seq, call });
    this.publish(actorId, view, call, seq);
  }

  private publish(actorId: string, view: ActorView, call: CallBody, seq: number): void {
    const low = view.inflight.values().next().value?.seq ?? seq;
    // A literal, not a spread: msgpackr encodes a spread copy several times slower.
    const { callId, owner, method, args, resolveArgs } = call;
    const frame = encode({ callId, owner, method, args, resolveArgs, seq, low });
    publishFramed(this.nc, Subjects.actorCall(actorId), frame);
  }

  /**
   * After a NATS disruption: events, calls and results may have been lost. Asks the head for
   * each actor's state again, then re-sends the calls still in flight; the actor runs each call
   * once, in order, and answers repeats of finished ones from its cache.
   */
  recover(): void {
    for (const [actorId, view] of this.views) {
      if (view.event?.state === 'DEAD') continue;
      void request<ActorEvent>(this.nc, Subjects.actorState, { actorId })
        .then(
          (event) => this.apply(event),
          () => undefined,
        )
        .finally(() => {
          if (view.event?.state !== 'ALIVE') return;
          for (const { seq, call } of view.inflight.values()) this.publish(actorId, view, call, seq);
        });
    }
  }

  settled(actorId: string, callId: string): void {
    this.views.get(actorId)?.inflight.delete(callId);
  }

  /** Marks an actor this process just created, whose events may race the create reply. */
  track(actorId: string): void {
    if (this.views.has(actorId)) return;
    const event: ActorEvent = { actorId, state: 'PENDING', incarnation: 0 };
    this.views.set(actorId, {
      rank: 0,
      event,
      queue: [],
      inflight: new Map(),
      nextSeq: 1,
      known: Promise.resolve(),
    });
  }

  async state(actorId: string): Promise<ActorEvent | undefined> {
    const view = this.view(actorId);
    await view.known;
    return view.event;
  }

  private view(actorId: string): ActorView {
    let view = this.views.get(actorId);
    if (!view) {
      const created: ActorView = {
        rank: -1,
        event: undefined,
        queue: [],
        inflight: new Map(),
        nextSeq: 1,
        known: undefined,
      };
      view = created;
      this.views.set(actorId, created);
      created.known = request<ActorEvent>(this.nc, Subjects.actorState, { actorId })
        .then((event) => this.apply(event))
        .catch((error: unknown) =>
          this.apply({ actorId, state: 'DEAD', incarnation: 1 << 20, reason: (error as Error).message }),
        );
    }
    return view;
  }

  private apply(event: ActorEvent): void {
    const view = this.views.get(event.actorId);
    if (!view) return; // not an actor this process talks to
    const rank = rankOf(event);
    if (rank <= view.rank) return;
    view.rank = rank;
    view.event = event;
    if (event.state === 'RESTARTING' || event.state === 'DEAD') {
      const error = this.deathError(event.actorId, event);
      for (const callId of view.inflight.keys()) this.fail(callId, error);
      view.inflight.clear();
    }
    if (event.state === 'DEAD') {
      const error = this.deathError(event.actorId, event);
      for (const { callId } of view.queue.splice(0)) this.fail(callId, error);
    }
    if (event.state === 'ALIVE') {
      for (const call of view.queue.splice(0)) this.send(event.actorId, view, call);
    }
  }

  private deathError(actorId: string, event: ActorEvent): ActorDiedError {
    const cause = event.error ? new RemoteError(event.error) : undefined;
    const detail = event.reason ?? (event.state === 'DEAD' ? 'the actor is dead' : 'the actor is restarting');
    return new ActorDiedError(
      actorId,
      `actor ${actorId} died: ${detail}${cause ? `: ${cause.message}` : ''}`,
      { cause },
    );
  }
}
