import { ExtensionType, registerExtension } from '../codec/index.ts';
import { MantaError, RuntimeStateError } from '../errors/index.ts';
import type { ObjectRef } from '../object/index.ts';
import { currentRuntime } from './runtime.ts';

type AnyFunction = (...args: never[]) => unknown;

/** `handle.method.remote(...args)` for every method of the actor class T. */
export type ActorHandle<T> = {
  readonly actorId: string;
} & {
  readonly [K in keyof T as T[K] extends AnyFunction ? K : never]: T[K] extends (...args: infer A) => infer R
    ? { remote(...args: A): ObjectRef<Awaited<R>> }
    : never;
};

const ACTOR_ID = Symbol('manta.actorId');

/** Marker class so handles serialize as handles (msgpack extension) when passed to tasks. */
export class ActorHandleImpl {
  readonly [ACTOR_ID]: string;
  constructor(actorId: string) {
    this[ACTOR_ID] = actorId;
  }
}

export function actorHandle<T>(actorId: string): ActorHandle<T> {
  const target = new ActorHandleImpl(actorId);
  const methods = new Map<string, { remote(...args: unknown[]): ObjectRef }>();
  return new Proxy(target, {
    get(obj, property) {
      if (property === 'actorId') return actorId;
      if (typeof property === 'symbol' || property in obj) return Reflect.get(obj, property);
      if (property === 'then' || property === 'toJSON') return undefined; // a handle is not a thenable
      let method = methods.get(property);
      if (!method) {
        method = {
          remote: (...args: unknown[]) => {
            const runtime = currentRuntime();
            if (!runtime) throw new RuntimeStateError('call init() before calling actor methods');
            return runtime.callActor(actorId, property, args);
          },
        };
        methods.set(property, method);
      }
      return method;
    },
  }) as unknown as ActorHandle<T>;
}

export function actorIdOf(handle: unknown): string {
  if (handle instanceof ActorHandleImpl) return handle[ACTOR_ID];
  throw new MantaError('NOT_AN_ACTOR', `expected an actor handle, got ${typeof handle}`);
}

registerExtension(
  ExtensionType.ActorHandle,
  ActorHandleImpl,
  (handle) => handle[ACTOR_ID],
  (data) => {
    if (typeof data !== 'string') throw new MantaError('BAD_HANDLE', 'malformed actor handle');
    return actorHandle(data) as unknown as ActorHandleImpl;
  },
);
