/**
 * Bulk bytes over direct TCP sockets, a full mesh (rank i dials every rank below it), NATS used
 * only for rendezvous. Frames are length-prefixed (frame.ts). A socket that closes or errors
 * without a `bye` frame first reports its rank lost at once: this is how a SIGKILLed peer is
 * detected without waiting for a timeout.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { CollectiveError } from '../errors/index.ts';
import { encodeHeader } from './frame.ts';
import { FrameReader } from './frame-reader.ts';
import {
  type Frame,
  FrameKind,
  type PreparedTransport,
  type Transport,
  type TransportConfig,
  type TransportContext,
} from './types.ts';

const MAGIC = 0x4d4e5443; // 'MNTC'
const HELLO_BYTES = 32;
/** Frames over TCP are chunked for pipelining, not for a size limit: this only bounds one allocation. */
const TCP_MAX_PAYLOAD = 64 * 1024 * 1024;

interface Inbound {
  rank: number;
  session: string;
  socket: Socket;
  rest: Buffer;
}

export function newSessionId(): string {
  return randomBytes(12).toString('hex');
}

function hello(rank: number, session: string): Buffer {
  const buf = Buffer.alloc(HELLO_BYTES);
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt16LE(rank, 4);
  buf.write(session, 8, 24, 'latin1');
  return buf;
}

/** Reads the 32-byte hello from a fresh socket. */
function readHello(socket: Socket): Promise<Inbound> {
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length < HELLO_BYTES) return;
      socket.off('data', onData);
      socket.pause();
      if (got.readUInt32LE(0) !== MAGIC) return reject(new Error('not a Manta collective peer'));
      resolve({
        rank: got.readUInt16LE(4),
        session: got.toString('latin1', 8, 32),
        socket,
        rest: got.subarray(HELLO_BYTES),
      });
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('closed before hello')));
  });
}

export const tcpTransport: TransportConfig = {
  name: 'tcp',
  async prepare(ctx: TransportContext): Promise<PreparedTransport> {
    const inbound: Inbound[] = [];
    let notify: (() => void) | undefined;
    const server: Server = createServer((socket) => {
      socket.setNoDelay(true);
      readHello(socket).then(
        (peer) => {
          inbound.push(peer);
          notify?.();
        },
        () => socket.destroy(),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, ctx.host, () => resolve());
    });
    const port = (server.address() as { port: number }).port;

    return {
      address: `${ctx.host}:${port}`,
      abandon: async () => {
        for (const peer of inbound) peer.socket.destroy();
        await new Promise((resolve) => server.close(resolve));
      },
      connect: async (addresses, session, timeoutMs) => {
        const sockets = new Array<Socket | undefined>(ctx.worldSize);
        const deadline = Date.now() + timeoutMs;
        // Dial every lower rank.
        await Promise.all(
          addresses.slice(0, ctx.rank).map(async (address, peer) => {
            sockets[peer] = await dial(address, hello(ctx.rank, session), deadline);
          }),
        );
        // Accept every higher rank.
        await new Promise<void>((resolve, reject) => {
          const check = () => {
            for (const peer of inbound.splice(0)) {
              if (peer.session !== session || peer.rank <= ctx.rank || peer.rank >= ctx.worldSize)
                peer.socket.destroy();
              else sockets[peer.rank] = adopt(peer);
            }
            const missing = missingRanks(sockets, ctx.rank);
            if (missing.length === 0) {
              clearTimeout(timer);
              notify = undefined;
              resolve();
            }
          };
          const timer = setTimeout(
            () => {
              const missing = missingRanks(sockets, ctx.rank);
              reject(
                new CollectiveError(
                  ctx.group,
                  `TCP connections from rank(s) ${missing.join(', ')} did not arrive within ${timeoutMs} ms`,
                  missing[0],
                ),
              );
            },
            Math.max(0, deadline - Date.now()),
          );
          notify = check;
          check();
        });
        server.close();
        return openMesh(ctx, sockets);
      },
    };
  },
};

const pendingRest = new WeakMap<Socket, Buffer>();
function adopt(peer: Inbound): Socket {
  pendingRest.set(peer.socket, peer.rest);
  return peer.socket;
}

function missingRanks(sockets: (Socket | undefined)[], self: number): number[] {
  const missing: number[] = [];
  for (let r = 0; r < sockets.length; r++) if (r !== self && !sockets[r]) missing.push(r);
  return missing;
}

async function dial(address: string, greeting: Buffer, deadline: number): Promise<Socket> {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon);
  const port = Number(address.slice(colon + 1));
  for (;;) {
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const socket = tcpConnect({ host, port }, () => {
          socket.off('error', reject);
          socket.setNoDelay(true);
          socket.write(greeting);
          resolve(socket);
        });
        socket.once('error', reject);
      });
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function openMesh(ctx: TransportContext, sockets: (Socket | undefined)[]): Transport {
  let closing = false;
  let unflushed = 0;
  let flushed: (() => void)[] = [];
  const wrote = () => {
    if (--unflushed > 0) return;
    const waiters = flushed;
    flushed = [];
    for (const resolve of waiters) resolve();
  };
  const said = new Set<number>();
  sockets.forEach((socket, peer) => {
    if (!socket) return;
    const reader = new FrameReader((frame) => {
      if (frame.kind === FrameKind.bye) said.add(peer);
      ctx.events.onFrame(frame);
    });
    const lost = (reason: string) => {
      if (closing || said.has(peer)) return;
      said.add(peer);
      ctx.events.onPeerLost(peer, reason);
    };
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('error', (error) => lost(`TCP connection error: ${error.message}`));
    socket.on('close', () => lost('TCP connection closed'));
    const rest = pendingRest.get(socket);
    if (rest?.length) reader.push(rest);
    socket.resume();
  });

  return {
    name: 'tcp',
    maxPayload: TCP_MAX_PAYLOAD,
    send(to: number, frame: Frame) {
      const socket = sockets[to];
      if (!socket || socket.destroyed) return;
      socket.cork();
      socket.write(encodeHeader(frame));
      if (frame.payload.byteLength > 0) {
        unflushed++;
        // The callback runs once the bytes are handed to the kernel (or the socket failed).
        socket.write(frame.payload, wrote);
      }
      socket.uncork();
    },
    settled() {
      return unflushed === 0 ? Promise.resolve() : new Promise((resolve) => flushed.push(resolve));
    },
    async close() {
      closing = true;
      await Promise.all(
        sockets.map(
          (socket) =>
            socket &&
            new Promise<void>((resolve) => {
              if (socket.destroyed) return resolve();
              const timer = setTimeout(() => {
                socket.destroy();
                resolve();
              }, 2000);
              socket.once('close', () => {
                clearTimeout(timer);
                resolve();
              });
              socket.end();
            }),
        ),
      );
    },
  };
}
