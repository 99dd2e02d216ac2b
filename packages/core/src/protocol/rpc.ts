import { ErrorCode, type Msg, type NatsConnection } from 'nats';
import { decode, encode, RemoteError, toWireError } from '../codec/index.ts';
import { InfeasibleResourcesError, MantaError } from '../errors/index.ts';
import { disruptions, retryOnDisruption } from '../nats/disruptions.ts';
import { ReplySchema } from './messages.ts';

const HEAD_SUBJECTS = 'manta.head.';

/**
 * How long a request to the head waits for one to answer (30 s; MANTA_HEAD_WAIT_MS): while the
 * head restarts, nothing subscribes its subjects and NATS answers "no responders" at once.
 */
export function headWaitMs(): number {
  const configured = Number(process.env.MANTA_HEAD_WAIT_MS);
  return Number.isFinite(configured) && configured >= 0 ? configured : 30_000;
}

function isNoResponders(error: unknown): boolean {
  return (error as { code?: string })?.code === ErrorCode.NoResponders;
}

function isTimeout(error: unknown): boolean {
  return (error as { code?: string })?.code === ErrorCode.Timeout;
}

/**
 * Request/reply with Manta's reply envelope: resolves with the body or throws the remote error.
 * Requests to the head are retried while no head is there, for up to `headWaitMs()`; such a
 * request was never delivered, so retrying it is safe for every kind.
 */
export async function request<T = unknown>(
  nc: NatsConnection,
  subject: string,
  body: unknown,
  timeoutMs = 10_000,
  options: { attemptTimeoutMs?: number } = {},
): Promise<T> {
  let msg: Msg;
  const payload = encode(body);
  const started = Date.now();
  const deadline = subject.startsWith(HEAD_SUBJECTS) ? started + headWaitMs() : 0;
  const attemptMs = Math.min(options.attemptTimeoutMs ?? timeoutMs, timeoutMs);
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    try {
      // A request or its reply lost to a dying NATS server is sent again after the reconnect.
      msg = await retryOnDisruption(nc, () => nc.request(subject, payload, { timeout: attemptMs }));
      break;
    } catch (error) {
      // An idempotent request (attemptTimeoutMs given) delivered to a responder that died
      // before answering (a head SIGKILLed a moment ago) is sent again while time is left.
      if (isTimeout(error) && attemptMs < timeoutMs && Date.now() - started + attemptMs <= timeoutMs)
        continue;
      // Right after a disruption the responder may not have re-subscribed yet: wait for it too.
      const until = Math.max(deadline, disruptions(nc).recentlyDisrupted() ? started + timeoutMs : 0);
      if (isNoResponders(error) && Date.now() + delay < until && !nc.isClosed()) {
        await new Promise((resolve) => setTimeout(resolve, delay));
        continue;
      }
      const detail =
        isNoResponders(error) && deadline > 0
          ? `no head answered for ${headWaitMs()} ms (is the head running?)`
          : (error as Error).message;
      throw new MantaError('REQUEST_FAILED', `request to ${subject} failed: ${detail}`, { cause: error });
    }
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
