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
}

/** A job for a worker: run a task, or host an actor. */
export type Job = { kind: 'task'; spec: TaskSpec } | { kind: 'actor'; actorId: string };

export interface WorkerRecord {
  workerId: string;
  nodeId: string;
  state: 'starting' | 'idle' | 'busy';
  job?: Job;
  /** Resources held for the current job, returned to the node (or its bundle) when it ends. */
  held?: Resources;
  /** The placement-group bundle the held resources came from. */
  claim?: BundleClaim;
  pid?: number;
}

export interface ActorRecord {
  spec: ActorSpec;
  state: ActorState;
  incarnation: number;
  restarts: number;
  workerId?: string;
  nodeId?: string;
  error?: WireError;
  reason?: string;
}
