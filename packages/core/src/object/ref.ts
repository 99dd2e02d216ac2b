/**
 * A reference to an object owned by one process (its `owner`): a task's future result or a
 * value given to `put()`. Passing it to another task or actor passes the reference; `get()`
 * fetches the value from the owner when needed.
 */
export class ObjectRef<T = unknown> {
  /** Phantom field so ObjectRef<number> and ObjectRef<string> are distinct types. */
  declare readonly __type?: T;
  readonly id: string;
  readonly owner: string;

  constructor(id: string, owner: string) {
    this.id = id;
    this.owner = owner;
  }

  toString(): string {
    return `ObjectRef(${this.id})`;
  }
}

export function isObjectRef(value: unknown): value is ObjectRef {
  return value instanceof ObjectRef;
}
