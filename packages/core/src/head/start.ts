import type { NatsConnection } from 'nats';
import { encode } from '../codec/index.ts';
import type { Logger } from '../logging/index.ts';
import { Subjects } from '../protocol/index.ts';
import { Head, type HeadOptions, newId } from './head.ts';
import { HeadLease, headAlreadyRunning } from './lease.ts';
import { type HeadState, HeadStateStore, type StateStoreOptions } from './state-store.ts';

export interface StartHeadOptions extends Omit<HeadOptions, 'store' | 'restored' | 'lease'> {
  /** Keep the cluster state in JetStream KV so a restarted head goes on from it (default true). */
  persist?: boolean | StateStoreOptions;
  /**
   * Called when another head took the lease over (this one stalled past the liveness probe):
   * the head has stopped serving; its process should exit. Default: only the stop and a log line.
   */
  onLeaseLost?: (holder: string) => void;
}

/** How long a live head has to answer before a new one takes the NATS server for headless. */
const HEAD_PROBE_MS = 2000;

/**
 * Refuses to start a second head on a NATS server that has a live one: two heads would both
 * schedule every task. With no head, the server answers "no responders" at once; a head that
 * does not answer in time (stalled, or dying) does not hold the place.
 */
async function assertNoLiveHead(nc: NatsConnection, log: Logger): Promise<void> {
  try {
    await nc.request(Subjects.status, encode({}), { timeout: HEAD_PROBE_MS });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== '503') log.warn({ err: error }, 'a head may be running here but did not answer: starting');
    return;
  }
  throw headAlreadyRunning(nc);
}

/**
 * Starts the head services, first claiming the head lease (head/lease.ts) and loading the state
 * an earlier head stored (if any). Without JetStream on the server the head runs on, but a
 * restart of it then loses the cluster, and only the status probe keeps a second head out.
 */
export async function startHead(
  nc: NatsConnection,
  log: Logger,
  options: StartHeadOptions = {},
): Promise<Head> {
  await assertNoLiveHead(nc, log);
  let store: HeadStateStore | undefined;
  let restored: HeadState | undefined;
  let lease: HeadLease | undefined;
  if (options.persist !== false) {
    const storeOptions = typeof options.persist === 'object' ? options.persist : {};
    try {
      store = await HeadStateStore.open(nc, log, storeOptions);
    } catch (error) {
      log.warn(
        { err: error },
        'no JetStream: the head state is not kept, and a head restart loses the cluster',
      );
    }
    if (store) lease = await HeadLease.acquire(nc, newId(), log, { replicas: storeOptions.replicas });
    restored = await store?.load();
  }
  const head = new Head(nc, log, { ...options, store, restored, lease });
  head.start();
  await lease?.watch((holder) => {
    log.error({ holder }, 'another head took the lease over while this one stalled: stopping');
    head.abandon();
    options.onLeaseLost?.(holder);
  });
  return head;
}
