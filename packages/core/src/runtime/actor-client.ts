import type { NatsConnection } from 'nats';
import { RemoteError } from '../codec/index.ts';
import { ActorDiedError } from '../errors/index.ts';
import type { Logger } from '../logging/index.ts';
import { publishFramed, serve } from '../nats/index.ts';
import { type ActorEvent, ActorEventSchema, request, Subjects } from '../protocol/index.ts';

interface ActorView {
  rank: number;
  event: ActorEvent | undefined;
  /** Calls waiting for the actor to be ALIVE, in submission order. */
  queue: Array<{ callId: string; frame: Uint8Array }>;
  inflight: Set<string>;
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

  /** Sends (or queues) a call whose encoded message is `frame`. */
  call(actorId: string, callId: string, frame: Uint8Array): void {
    const view = this.view(actorId);
    if (view.event?.state === 'ALIVE') {
      view.inflight.add(callId);
      publishFramed(this.nc, Subjects.actorCall(actorId), frame);
    } else if (view.event?.state === 'DEAD') {
      this.fail(callId, this.deathError(actorId, view.event));
    } else {
      view.queue.push({ callId, frame });
    }
  }

  settled(actorId: string, callId: string): void {
    this.views.get(actorId)?.inflight.delete(callId);
  }

  /** Marks an actor this process just created, whose events may race the create reply. */
  track(actorId: string): void {
    if (this.views.has(actorId)) return;
    const event: ActorEvent = { actorId, state: 'PENDING', incarnation: 0 };
    this.views.set(actorId, { rank: 0, event, queue: [], inflight: new Set(), known: Promise.resolve() });
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
        inflight: new Set(),
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
      for (const callId of view.inflight) this.fail(callId, error);
      view.inflight.clear();
    }
    if (event.state === 'DEAD') {
      const error = this.deathError(event.actorId, event);
      for (const { callId } of view.queue.splice(0)) this.fail(callId, error);
    }
    if (event.state === 'ALIVE') {
      for (const { callId, frame } of view.queue.splice(0)) {
        view.inflight.add(callId);
        publishFramed(this.nc, Subjects.actorCall(event.actorId), frame);
      }
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
