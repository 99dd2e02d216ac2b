import type { WireError } from '../codec/index.ts';
import type { ActorSpec, ActorState, Resources, TaskSpec } from '../protocol/index.ts';
import type { BundleClaim } from './placement-groups.ts';

/** What the head knows about a node. */
export interface NodeRecord {
  nodeId: string;
  hostname: string;
  pid: number;
  total: Resources;
  available: Resources;
  alive: boolean;
  lastHeartbeat: number;
  /** Idle task workers, reusable by any task that fits the node's free resources. */
  idleWorkers: string[];
  /** Known from the stored state but not yet reconciled with this head: nothing is placed on it. */
  recovering?: boolean;
}

/** A job for a worker: run a task, or host an actor. */
export type Job =
  /** argsDropped: a task taken over by a restarted head without its arguments; it cannot be retried. */
  { kind: 'task'; spec: TaskSpec; argsDropped?: boolean } | { kind: 'actor'; actorId: string };

export interface WorkerRecord {
  workerId: string;
  nodeId: string;
  /** recovering: reported by its node to a restarted head, not yet described. */
  state: 'starting' | 'idle' | 'busy' | 'recovering';
  job?: Job;
  /** Resources held for the current job, returned to the node (or its bundle) when it ends. */
  held?: Resources;
  /** The placement-group bundle the held resources came from. */
  claim?: BundleClaim;
  pid?: number;
  /** A task it reported done while it was still being described (a restarted head). */
  finishedTask?: string;
}

export interface ActorRecord {
  spec: ActorSpec;
  state: ActorState;
  incarnation: number;
  restarts: number;
  workerId?: string;
  nodeId?: string;
  /** The bundle of its placement group that its resources came from. */
  claimIndex?: number;
  error?: WireError;
  reason?: string;
}
