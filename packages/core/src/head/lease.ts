/**
 * The head lease: one key in a JetStream KV bucket naming the head that serves this NATS
 * server, so two heads started at the same moment cannot both serve (each would schedule every
 * task). A head subscribes its own liveness subject before it claims, and claims only by
 * compare-and-set: create the key, or replace a holder that does not answer on its subject.
 * Whoever reads a claim can therefore ask its holder, which is already listening. A head that
 * sees the key name another head (it stalled long enough to be taken over) stops serving.
 */
import type { KV, KvEntry, NatsConnection, QueuedIterator, Subscription } from 'nats';
import { z } from 'zod';
import { decode, encode } from '../codec/index.ts';
import { RuntimeStateError } from '../errors/index.ts';
import type { Logger } from '../logging/index.ts';
import { Subjects } from '../protocol/index.ts';

const LEASE_KEY = 'head';
/** JetStream's "wrong last sequence": another writer changed the key first. */
const WRONG_LAST_SEQUENCE = 10071;
/** How long a holder has to answer before it counts as gone (a stalled head loses its lease). */
const HOLDER_PROBE_MS = 2000;
/** Claims tried before giving up, when other heads keep changing the key in between. */
const MAX_CLAIMS = 5;

const LeaseSchema = z.object({ headId: z.string().min(1).max(128) });

export interface HeadLeaseOptions {
  /** KV bucket (default `manta_head_lease`). */
  bucket?: string;
  /** Copies the bucket keeps in a NATS cluster (default 1). */
  replicas?: number;
  /** How long the current holder has to answer (default 2 s). */
  holderProbeMs?: number;
}

export class HeadLease {
  private watcher: QueuedIterator<KvEntry> | undefined;
  private released = false;

  private constructor(
    private readonly kv: KV,
    private readonly responder: Subscription,
    readonly headId: string,
    private readonly revision: number,
  ) {}

  /**
   * Claims the lease for `headId`, or throws RuntimeStateError naming the live head that holds
   * it. Throws whatever JetStream throws when the bucket cannot be opened (no JetStream).
   */
  static async acquire(
    nc: NatsConnection,
    headId: string,
    log: Logger,
    options: HeadLeaseOptions = {},
  ): Promise<HeadLease> {
    const kv = await nc.jetstream().views.kv(options.bucket ?? 'manta_head_lease', {
      history: 1,
      replicas: options.replicas ?? 1,
    });
    // Listening before claiming: a head that reads our claim finds us answering.
    const responder = nc.subscribe(Subjects.headLease(headId), {
      callback: (_error, msg) => msg.respond(encode({ headId })),
    });
    await nc.flush();
    try {
      for (let attempt = 0; attempt < MAX_CLAIMS; attempt++) {
        const entry = await kv.get(LEASE_KEY);
        const holder = entry?.operation === 'PUT' ? holderOf(entry) : undefined;
        if (holder !== undefined && (await answers(nc, holder, options.holderProbeMs ?? HOLDER_PROBE_MS))) {
          throw headAlreadyRunning(nc);
        }
        if (holder !== undefined)
          log.warn({ holder }, 'the head that held the lease does not answer: taking over');
        try {
          const revision = entry
            ? await kv.update(LEASE_KEY, encode({ headId }), entry.revision)
            : await kv.create(LEASE_KEY, encode({ headId }));
          return new HeadLease(kv, responder, headId, revision);
        } catch (error) {
          if (!isWrongLastSequence(error)) throw error;
        }
      }
      throw new RuntimeStateError('could not claim the head lease: other heads kept claiming it');
    } catch (error) {
      responder.unsubscribe();
      throw error;
    }
  }

  /** Calls `lost` once if another head takes the lease over (this head stalled past the probe). */
  async watch(lost: (holder: string) => void): Promise<void> {
    this.watcher = await this.kv.watch({ key: LEASE_KEY });
    void (async () => {
      for await (const entry of this.watcher!) {
        if (this.released || entry.revision <= this.revision) continue;
        const holder = entry.operation === 'PUT' ? holderOf(entry) : undefined;
        if (holder === this.headId) continue;
        this.letGo();
        lost(holder ?? '(none)');
        break;
      }
    })();
  }

  /** Stops listening and answering: the lease is no longer ours to keep. */
  private letGo(): void {
    this.released = true;
    this.watcher?.stop();
    this.responder.unsubscribe();
  }

  /** Gives the lease up: the next head claims it without waiting on us. */
  async release(): Promise<void> {
    if (this.released) return;
    this.letGo();
    try {
      await this.kv.delete(LEASE_KEY, { previousSeq: this.revision });
    } catch {
      // Taken over meanwhile, or the server is gone: nothing of ours to give up.
    }
  }
}

/** The refusal of a second head on a NATS server that has a live one (or one starting). */
export function headAlreadyRunning(nc: NatsConnection): RuntimeStateError {
  return new RuntimeStateError(
    `a head is already running on this NATS server (${nc.getServer()}): a cluster has one head; stop it first (manta stop on its machine)`,
  );
}

function holderOf(entry: KvEntry): string | undefined {
  try {
    const parsed = LeaseSchema.safeParse(decode(entry.value));
    return parsed.success ? parsed.data.headId : undefined;
  } catch {
    return undefined;
  }
}

/** True when the head `headId` answers on its lease subject in time. */
async function answers(nc: NatsConnection, headId: string, timeoutMs: number): Promise<boolean> {
  try {
    await nc.request(Subjects.headLease(headId), encode({}), { timeout: timeoutMs });
    return true;
  } catch {
    return false; // no responders (gone) or no answer in time (stalled)
  }
}

function isWrongLastSequence(error: unknown): boolean {
  return (error as { api_error?: { err_code?: number } })?.api_error?.err_code === WRONG_LAST_SEQUENCE;
}
