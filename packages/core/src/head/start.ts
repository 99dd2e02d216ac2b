import type { NatsConnection } from 'nats';
import type { Logger } from '../logging/index.ts';
import { Head, type HeadOptions } from './head.ts';
import { type HeadState, HeadStateStore, type StateStoreOptions } from './state-store.ts';

export interface StartHeadOptions extends Omit<HeadOptions, 'store' | 'restored'> {
  /** Keep the cluster state in JetStream KV so a restarted head goes on from it (default true). */
  persist?: boolean | StateStoreOptions;
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
