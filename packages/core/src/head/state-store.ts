import type { KV, NatsConnection } from 'nats';
import { z } from 'zod';
import { decode, encode } from '../codec/index.ts';
import type { Logger } from '../logging/index.ts';
import { ActorSpecSchema, ResourcesSchema } from '../protocol/index.ts';

/**
 * The head's durable state in a JetStream KV bucket, so that a restarted head picks up the
 * cluster where the last one left it: nodes, actors (which also give the named-actor index) and
 * placement groups. Tasks are not stored (one write per task would cost the hot path); a new
 * head learns the running ones from the workers and the queued ones from their owners.
 *
 * Writes are write-behind and coalesced per key: `write(key, value)` remembers a function that
 * reads the record's current value, and one flush soon after writes what each changed key holds
 * then. Only the latest value of a key matters, so no change is lost by coalescing.
 */

const id = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_-]+$/);

export const StoredNodeSchema = z.object({
  nodeId: id,
  hostname: z.string().max(256),
  pid: z.number().int(),
  total: ResourcesSchema,
  alive: z.boolean(),
});
export type StoredNode = z.infer<typeof StoredNodeSchema>;

export const StoredActorSchema = z.object({
  spec: ActorSpecSchema,
  state: z.enum(['PENDING', 'ALIVE', 'RESTARTING', 'DEAD']),
  incarnation: z.number().int().min(0),
  restarts: z.number().int().min(0),
  workerId: id.optional(),
  nodeId: id.optional(),
  /** The placement-group bundle the actor's resources came from. */
  claimIndex: z.number().int().min(0).optional(),
  error: z.any().optional(),
  reason: z.string().optional(),
});
export type StoredActor = z.infer<typeof StoredActorSchema>;

export const StoredGroupSchema = z.object({
  groupId: id,
  name: z.string().optional(),
  bundles: z.array(ResourcesSchema),
  strategy: z.enum(['PACK', 'SPREAD', 'STRICT_PACK', 'STRICT_SPREAD']),
  state: z.enum(['PENDING', 'CREATED']),
  generation: z.number().int().min(0),
  nodeIds: z.array(id),
});
export type StoredGroup = z.infer<typeof StoredGroupSchema>;

export interface HeadState {
  nodes: StoredNode[];
  actors: StoredActor[];
  groups: StoredGroup[];
}

/** Key of each kind of record; ids are Manta ids ([A-Za-z0-9_-]), valid in KV keys. */
export const StateKeys = {
  node: (nodeId: string) => `node.${nodeId}`,
  actor: (actorId: string) => `actor.${actorId}`,
  group: (groupId: string) => `pg.${groupId}`,
} as const;

export interface StateStoreOptions {
  /** KV bucket name (default `manta_head`). */
  bucket?: string;
  /** Copies the bucket keeps in a NATS cluster (default 1; 3 on a 3-server cluster). */
  replicas?: number;
}

/** A record's current value, or undefined when it is gone (the key is then deleted). */
type ReadValue = () => unknown;

export class HeadStateStore {
  private readonly dirty = new Map<string, ReadValue>();
  private waiters: Array<() => void> = [];
  private flushing: Promise<void> | undefined;
  private scheduled = false;
  private closed = false;

  private constructor(
    private readonly kv: KV,
    private readonly log: Logger,
  ) {}

  /** Opens (creating if needed) the bucket; throws when the server has no JetStream. */
  static async open(
    nc: NatsConnection,
    log: Logger,
    options: StateStoreOptions = {},
  ): Promise<HeadStateStore> {
    const kv = await nc.jetstream().views.kv(options.bucket ?? 'manta_head', {
      history: 1,
      replicas: options.replicas ?? 1,
    });
    return new HeadStateStore(kv, log);
  }

  /** Every stored record; records that do not validate are logged and skipped. */
  async load(): Promise<HeadState> {
    const state: HeadState = { nodes: [], actors: [], groups: [] };
    const keys: string[] = [];
    for await (const key of await this.kv.keys()) keys.push(key);
    const entries = await Promise.all(keys.map((key) => this.kv.get(key)));
    for (const entry of entries) {
      if (entry?.operation !== 'PUT' || entry.value.byteLength === 0) continue;
      const [kind] = entry.key.split('.', 1);
      const schema = { node: StoredNodeSchema, actor: StoredActorSchema, pg: StoredGroupSchema }[kind];
      let parsed: ReturnType<NonNullable<typeof schema>['safeParse']> | undefined;
      try {
        parsed = schema?.safeParse(decode(entry.value));
      } catch {}
      if (!parsed?.success) {
        this.log.warn({ key: entry.key }, 'skipped an unreadable record of the head state');
        continue;
      }
      if (kind === 'node') state.nodes.push(parsed.data as StoredNode);
      else if (kind === 'actor') state.actors.push(parsed.data as StoredActor);
      else state.groups.push(parsed.data as StoredGroup);
    }
    return state;
  }

  /**
   * Marks `key` changed. `read` gives its value at write time (undefined deletes the key). The
   * promise resolves once a write holding this change is stored (it never rejects: failures are
   * logged, and the next change of the key writes it again).
   */
  write(key: string, read: ReadValue): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.dirty.set(key, read);
    const done = new Promise<void>((resolve) => this.waiters.push(resolve));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => void this.flush());
    }
    return done;
  }

  /** Writes every pending change; resolves when all are stored. */
  async flush(): Promise<void> {
    this.scheduled = false;
    while (this.flushing) await this.flushing;
    if (this.dirty.size === 0) {
      for (const resolve of this.waiters.splice(0)) resolve();
      return;
    }
    const batch = [...this.dirty];
    const waiters = this.waiters.splice(0);
    this.dirty.clear();
    this.flushing = Promise.all(batch.map(([key, read]) => this.writeNow(key, read))).then(() => undefined);
    try {
      await this.flushing;
    } finally {
      this.flushing = undefined;
    }
    for (const resolve of waiters) resolve();
  }

  private async writeNow(key: string, read: ReadValue): Promise<void> {
    try {
      const value = read();
      if (value === undefined) await this.kv.delete(key);
      else await this.kv.put(key, encode(value));
    } catch (error) {
      this.log.error({ err: error, key }, 'could not store a record of the head state');
    }
  }

  /** Drops the pending changes and ignores later ones (a head that lost its lease). */
  close(): void {
    this.closed = true;
    this.dirty.clear();
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  /** Removes every record (a new, empty cluster on a NATS server that hosted one before). */
  async clear(): Promise<void> {
    for await (const key of await this.kv.keys()) await this.kv.purge(key);
  }
}
