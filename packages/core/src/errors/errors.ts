/**
 * The Manta error family. Every error has a stable string `code` so callers can match on it
 * without parsing messages; errors that cross the wire keep their code, cause chain and
 * remote stack through `errors/wire.ts`.
 */
export class MantaError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A public config or argument failed validation. `issues` names each bad field. */
export class ConfigError extends MantaError {
  readonly issues: readonly string[];
  constructor(message: string, issues: readonly string[] = [], options?: { cause?: unknown }) {
    super('CONFIG_INVALID', message, options);
    this.issues = issues;
  }
}

/** An exception thrown by user code in a remote task or actor method, re-thrown at `get()`. */
export class TaskError extends MantaError {
  readonly remoteName: string;
  readonly remoteStack: string | undefined;
  readonly taskName: string;
  constructor(
    taskName: string,
    remoteName: string,
    remoteMessage: string,
    remoteStack?: string,
    cause?: unknown,
  ) {
    super('TASK_ERROR', `${taskName} failed: ${remoteName}: ${remoteMessage}`, { cause });
    this.taskName = taskName;
    this.remoteName = remoteName;
    this.remoteStack = remoteStack;
    if (remoteStack) this.stack = `${this.name}: ${this.message}\n--- remote stack ---\n${remoteStack}`;
  }
}

/** The worker process running a task died (and retries, if any, were used up). */
export class WorkerCrashedError extends MantaError {
  readonly attempts: number;
  constructor(message: string, attempts: number) {
    super('WORKER_CRASHED', message);
    this.attempts = attempts;
  }
}

/** The actor is dead: killed, crashed past `maxRestarts`, or its constructor threw. */
export class ActorDiedError extends MantaError {
  readonly actorId: string;
  constructor(actorId: string, message: string, options?: { cause?: unknown }) {
    super('ACTOR_DIED', message, options);
    this.actorId = actorId;
  }
}

/** No node in the cluster can ever satisfy the requested resources. */
export class InfeasibleResourcesError extends MantaError {
  readonly requested: Record<string, number>;
  constructor(message: string, requested: Record<string, number>) {
    super('RESOURCES_INFEASIBLE', message);
    this.requested = requested;
  }
}

/** `get()` or `wait()` ran past its timeout. */
export class GetTimeoutError extends MantaError {
  constructor(message: string) {
    super('GET_TIMEOUT', message);
  }
}

/** An object can no longer be fetched (its owner is gone or it was freed). */
export class ObjectLostError extends MantaError {
  readonly objectId: string;
  constructor(objectId: string, message: string) {
    super('OBJECT_LOST', message);
    this.objectId = objectId;
  }
}

/** A worker could not find the function or class a task names. */
export class FunctionNotFoundError extends MantaError {
  constructor(message: string) {
    super('FUNCTION_NOT_FOUND', message);
  }
}

/** The runtime is used before `init()`, after `shutdown()`, or the cluster cannot be reached. */
export class RuntimeStateError extends MantaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RUNTIME_STATE', message, options);
  }
}

/** A collective operation failed: a rank died, timed out, or buffers disagree across ranks. */
export class CollectiveError extends MantaError {
  readonly group: string;
  readonly rank: number | undefined;
  constructor(group: string, message: string, rank?: number, options?: { cause?: unknown }) {
    super('COLLECTIVE_ERROR', message, options);
    this.group = group;
    this.rank = rank;
  }
}
