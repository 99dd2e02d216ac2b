import { MantaError, TaskError } from '../errors/index.ts';

/** The form an error takes on the wire: enough to rebuild a useful error on the other side. */
export interface WireError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
  cause?: WireError;
  /** Extra typed fields of MantaError subclasses (actorId, rank, ...). */
  fields?: Record<string, unknown>;
}

export function toWireError(error: unknown, depth = 0): WireError {
  if (!(error instanceof Error)) {
    return { name: 'NonErrorThrown', message: safeString(error) };
  }
  const wire: WireError = { name: error.name, message: error.message, stack: error.stack };
  if (error instanceof MantaError) wire.code = error.code;
  if (error.cause !== undefined && depth < 8) wire.cause = toWireError(error.cause, depth + 1);
  return wire;
}

/** An error that was thrown in another process, rebuilt with its name, message, stack and cause. */
export class RemoteError extends Error {
  readonly remoteName: string;
  readonly code: string | undefined;
  constructor(wire: WireError) {
    super(wire.message, wire.cause ? { cause: new RemoteError(wire.cause) } : undefined);
    this.remoteName = wire.name;
    this.name = wire.name;
    this.code = wire.code;
    if (wire.stack) this.stack = wire.stack;
  }
}

/** The error `get()` throws for a remote exception in task `taskName`. */
export function taskErrorFromWire(taskName: string, wire: WireError): TaskError {
  return new TaskError(
    taskName,
    wire.name,
    wire.message,
    wire.stack,
    wire.cause ? new RemoteError(wire.cause) : undefined,
  );
}

function safeString(value: unknown): string {
  try {
    return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}
