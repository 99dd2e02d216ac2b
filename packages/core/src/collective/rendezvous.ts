/**
 * Rendezvous over NATS: rank 0 answers requests on `manta.collective.<group>.join`; every other
 * rank asks (retrying until rank 0 is up) and waits for the reply, which rank 0 sends once all
 * ranks joined: every rank's transport address and a fresh session id. Ranks must agree on
 * world size, transport and compression.
 */
import type { Msg, NatsConnection } from 'nats';
import { CollectiveError } from '../errors/index.ts';

export interface JoinInfo {
  rank: number;
  worldSize: number;
  transport: string;
  compression: string;
  address: string;
}

export interface Roster {
  session: string;
  addresses: string[];
}

type Reply = { ok: true; roster: Roster } | { ok: false; error: string };

export const joinSubject = (group: string) => `manta.collective.${group}.join`;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const encode = (value: unknown) => encoder.encode(JSON.stringify(value));
const decode = <T>(data: Uint8Array) => JSON.parse(decoder.decode(data)) as T;

export async function rendezvous(
  nc: NatsConnection,
  group: string,
  me: JoinInfo,
  session: string,
  timeoutMs: number,
): Promise<Roster> {
  return me.rank === 0 ? host(nc, group, me, session, timeoutMs) : join(nc, group, me, timeoutMs);
}

async function host(
  nc: NatsConnection,
  group: string,
  me: JoinInfo,
  session: string,
  timeoutMs: number,
): Promise<Roster> {
  const joined = new Map<number, { info: JoinInfo; msg: Msg }>();
  const sub = nc.subscribe(joinSubject(group));
  const timer = setTimeout(() => sub.unsubscribe(), timeoutMs);
  let problem: string | undefined;
  try {
    if (me.worldSize > 1) {
      for await (const msg of sub) {
        const info = decode<JoinInfo>(msg.data);
        const disagreement = compare(me, info);
        if (disagreement) {
          problem = disagreement;
          msg.respond(encode({ ok: false, error: disagreement } satisfies Reply));
          break;
        }
        joined.set(info.rank, { info, msg });
        if (joined.size === me.worldSize - 1) break;
      }
    }
  } finally {
    clearTimeout(timer);
    sub.unsubscribe();
  }
  if (problem) {
    for (const { msg } of joined.values()) msg.respond(encode({ ok: false, error: problem } satisfies Reply));
    throw new CollectiveError(group, `Rendezvous failed: ${problem}`, 0);
  }
  if (joined.size < me.worldSize - 1) {
    const missing = [];
    for (let r = 1; r < me.worldSize; r++) if (!joined.has(r)) missing.push(r);
    throw new CollectiveError(
      group,
      `Rendezvous timed out after ${timeoutMs} ms: rank(s) ${missing.join(', ')} never joined`,
      missing[0],
    );
  }
  const addresses = [me.address];
  for (let r = 1; r < me.worldSize; r++) addresses.push(joined.get(r)!.info.address);
  const roster: Roster = { session, addresses };
  for (const { msg } of joined.values()) msg.respond(encode({ ok: true, roster } satisfies Reply));
  await nc.flush();
  return roster;
}

function compare(me: JoinInfo, other: JoinInfo): string | undefined {
  if (other.worldSize !== me.worldSize)
    return `rank ${other.rank} has worldSize ${other.worldSize}, rank 0 has ${me.worldSize}`;
  if (other.rank <= 0 || other.rank >= me.worldSize)
    return `rank ${other.rank} is outside 1..${me.worldSize - 1}`;
  if (other.transport !== me.transport)
    return `rank ${other.rank} uses transport '${other.transport}', rank 0 uses '${me.transport}'`;
  if (other.compression !== me.compression)
    return `rank ${other.rank} uses compression '${other.compression}', rank 0 uses '${me.compression}'`;
  return undefined;
}

async function join(nc: NatsConnection, group: string, me: JoinInfo, timeoutMs: number): Promise<Roster> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0)
      throw new CollectiveError(
        group,
        `Rendezvous timed out after ${timeoutMs} ms: rank 0 never answered`,
        0,
      );
    try {
      const reply = await nc.request(joinSubject(group), encode(me), { timeout: left });
      const answer = decode<Reply>(reply.data);
      if (!answer.ok) throw new CollectiveError(group, `Rendezvous failed: ${answer.error}`, me.rank);
      return answer.roster;
    } catch (error) {
      if (error instanceof CollectiveError) throw error;
      // No responders: rank 0 has not subscribed yet. Timeout: the loop's deadline check reports it.
      if ((error as { code?: string }).code === '503') await new Promise((r) => setTimeout(r, 50));
    }
  }
}
