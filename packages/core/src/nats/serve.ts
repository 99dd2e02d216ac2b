import type { Msg, NatsConnection, Subscription } from 'nats';
import type { z } from 'zod';
import { decode } from '../codec/index.ts';
import type { Logger } from '../logging/index.ts';
import { Reassembler } from './frames.ts';

export interface ServeOptions {
  queue?: string;
  /** Frames may be chunked (large payloads); a Reassembler per subscription joins them. */
  framed?: boolean;
}

/**
 * Subscribe and hand each message, decoded and validated against `schema`, to `handler`.
 * Anything that does not decode or validate is logged and dropped: a hostile or broken
 * publisher must never crash a node. Handler errors are logged too.
 */
export function serve<S extends z.ZodType>(
  nc: NatsConnection,
  subject: string,
  schema: S,
  log: Logger,
  handler: (message: z.output<S>, msg: Msg) => void | Promise<void>,
  options: ServeOptions = {},
): Subscription {
  const reassembler = options.framed ? new Reassembler() : undefined;
  return nc.subscribe(subject, {
    queue: options.queue,
    callback: (error, msg) => {
      if (error) {
        log.warn({ err: error, subject }, 'subscription error');
        return;
      }
      let message: z.output<S>;
      try {
        const bytes = reassembler ? reassembler.accept(msg.data) : msg.data;
        if (!bytes) return;
        const parsed = schema.safeParse(decode(bytes));
        if (!parsed.success) {
          log.warn(
            { subject: msg.subject, issues: parsed.error.issues.slice(0, 3) },
            'dropped invalid message',
          );
          return;
        }
        message = parsed.data;
      } catch (e) {
        log.warn({ subject: msg.subject, err: e }, 'dropped undecodable message');
        return;
      }
      try {
        const done = handler(message, msg);
        if (done && typeof (done as Promise<void>).catch === 'function') {
          (done as Promise<void>).catch((e: unknown) =>
            log.error({ err: e, subject: msg.subject }, 'handler failed'),
          );
        }
      } catch (e) {
        log.error({ err: e, subject: msg.subject }, 'handler failed');
      }
    },
  });
}
