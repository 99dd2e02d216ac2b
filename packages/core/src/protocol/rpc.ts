import type { Msg, NatsConnection } from 'nats';
import { decode, encode, RemoteError, toWireError } from '../codec/index.ts';
import { InfeasibleResourcesError, MantaError } from '../errors/index.ts';
import { ReplySchema } from './messages.ts';

/** Request/reply with Manta's reply envelope: resolves with the body or throws the remote error. */
export async function request<T = unknown>(
  nc: NatsConnection,
  subject: string,
  body: unknown,
  timeoutMs = 10_000,
): Promise<T> {
  let msg: Msg;
  try {
    msg = await nc.request(subject, encode(body), { timeout: timeoutMs });
  } catch (error) {
    throw new MantaError('REQUEST_FAILED', `request to ${subject} failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const reply = ReplySchema.parse(decode(msg.data));
  if (!reply.ok) {
    const wire = reply.error ?? { name: 'Error', message: 'unknown error' };
    const error = new RemoteError(wire);
    if (wire.code === 'RESOURCES_INFEASIBLE') throw new InfeasibleResourcesError(wire.message, {});
    throw Object.assign(new MantaError(wire.code ?? 'REMOTE_ERROR', wire.message, { cause: error }), {
      remoteName: wire.name,
    });
  }
  return reply.body as T;
}

export function replyOk(msg: Msg, body?: unknown): void {
  if (msg.reply) msg.respond(encode({ ok: true, body }));
}

export function replyError(msg: Msg, error: unknown): void {
  if (msg.reply) msg.respond(encode({ ok: false, error: toWireError(error) }));
}
