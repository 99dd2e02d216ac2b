import type { NatsConnection } from 'nats';
import { encode } from '../codec/index.ts';
import { RuntimeStateError } from '../errors/index.ts';
import type { Logger } from '../logging/index.ts';
import { Subjects } from '../protocol/index.ts';
import { Head, type HeadOptions } from './head.ts';
import { type HeadState, HeadStateStore, type StateStoreOptions } from './state-store.ts';

export interface StartHeadOptions extends Omit<HeadOptions, 'store' | 'restored'> {
  /** Keep the cluster state in JetStream KV so a restarted head goes on from it (default true). */
  persist?: boolean | StateStoreOptions;
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
  throw new RuntimeStateError(
    `a head is already running on this NATS server (${nc.getServer()}): a cluster has one head; stop it first (manta stop on its machine)`,
  );
}

/**
 * Starts the head services, first loading the state an earlier head stored (if any). Without
 * JetStream on the server the head runs on, but a restart of it then loses the cluster.
 */
export async function startHead(
  nc: NatsConnection,
  log: Logger,
  options: StartHeadOptions = {},
): Promise<Head> {
  await assertNoLiveHead(nc, log);
  let store: HeadStateStore | undefined;
  let restored: HeadState | undefined;
  if (options.persist !== false) {
    try {
      store = await HeadStateStore.open(nc, log, typeof options.persist === 'object' ? options.persist : {});
    } catch (error) {
      log.warn(
        { err: error },
        'no JetStream: the head state is not kept, and a head restart loses the cluster',
      );
    }
    restored = await store?.load();
  }
  const head = new Head(nc, log, { ...options, store, restored });
  head.start();
  return head;
}
