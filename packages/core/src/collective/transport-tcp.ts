/**
 * Bulk bytes over direct TCP sockets, NATS used only for rendezvous. Every rank dials every
 * other rank, so each ordered pair has its own connection: the dialer only reads from it, the
 * acceptor only writes to it. Reading only from sockets we dialed lets every receive use the
 * `onread` option (a public option of `net.connect` only): the kernel copies each byte straight
 * to where it is used (frame-reader.ts) instead of into a fresh 64 KiB buffer per read that a
 * stream then hands on. Frames are length-prefixed (frame.ts). A socket that closes or errors
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
/**
 * A peer's two sockets close independently; its `bye` comes on the one we read. When the one we
 * write closes first, wait this long for that `bye` (or the other close) before calling it lost.
 */
const SEND_CLOSE_GRACE_MS = 1000;

interface Inbound {
  rank: number;
  session: string;
  socket: Socket;
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
      resolve({ rank: got.readUInt16LE(4), session: got.toString('latin1', 8, 32), socket });
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

    const dialed: Socket[] = [];
    return {
      address: `${ctx.host}:${port}`,
      abandon: async () => {
        for (const peer of inbound) peer.socket.destroy();
        for (const socket of dialed) socket.destroy();
        await new Promise((resolve) => server.close(resolve));
      },
      connect: async (addresses, session, timeoutMs) => {
        const mesh = new Mesh(ctx);
        const receivers = new Array<Socket | undefined>(ctx.worldSize);
        const senders = new Array<Socket | undefined>(ctx.worldSize);
        const deadline = Date.now() + timeoutMs;
        // Dial every other rank: the socket carries its frames to us, read as they arrive.
        await Promise.all(
          addresses.map(async (address, peer) => {
            if (peer === ctx.rank) return;
            const socket = await dial(address, hello(ctx.rank, session), deadline, () => mesh.reader(peer));
            dialed.push(socket);
            receivers[peer] = socket;
          }),
        );
        // Accept every other rank's dial: the socket carries our frames to it.
        await new Promise<void>((resolve, reject) => {
          const check = () => {
            for (const peer of inbound.splice(0)) {
              if (
                peer.session !== session ||
                peer.rank === ctx.rank ||
                peer.rank >= ctx.worldSize ||
                senders[peer.rank]
              )
                peer.socket.destroy();
              else senders[peer.rank] = peer.socket;
            }
            const missing = missingRanks(senders, ctx.rank);
            if (missing.length === 0) {
              clearTimeout(timer);
              notify = undefined;
              resolve();
            }
          };
          const timer = setTimeout(
            () => {
              const missing = missingRanks(senders, ctx.rank);
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
        return mesh.open(receivers, senders);
      },
    };
  },
};

function missingRanks(sockets: (Socket | undefined)[], self: number): number[] {
  const missing: number[] = [];
  for (let r = 0; r < sockets.length; r++) if (r !== self && !sockets[r]) missing.push(r);
  return missing;
}

/** Connects (retrying until `deadline`) with reads driven by a fresh reader, and says hello. */
async function dial(
  address: string,
  greeting: Buffer,
  deadline: number,
  newReader: () => FrameReader,
): Promise<Socket> {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon);
  const port = Number(address.slice(colon + 1));
  for (;;) {
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const reader = newReader();
        const socket: Socket = tcpConnect(
          {
            host,
            port,
            onread: {
              buffer: () => reader.target(),
              callback: (n) => {
                try {
                  reader.wrote(n);
                } catch (error) {
                  socket.destroy(error as Error);
                }
                return true;
              },
            },
          },
          () => {
            socket.off('error', reject);
            // Until the mesh opens (and listens for real), an error must not go unhandled.
            socket.on('error', () => undefined);
            socket.setNoDelay(true);
            socket.write(greeting);
            resolve(socket);
          },
        );
        socket.once('error', reject);
      });
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** The connections of one group: frames in, frames out, and who left or was lost. */
class Mesh {
  private closing = false;
  /** Peers that said `bye` or were already reported lost. */
  private readonly said = new Set<number>();
  private unflushed = 0;
  private flushed: (() => void)[] = [];

  constructor(private readonly ctx: TransportContext) {}

  reader(peer: number): FrameReader {
    return new FrameReader({
      onFrame: (frame) => {
        if (frame.kind === FrameKind.bye) this.said.add(peer);
        this.ctx.events.onFrame(frame);
      },
      sinkFor: this.ctx.events.sinkFor && ((head, length) => this.ctx.events.sinkFor!(head, length)),
    });
  }

  private lost(peer: number, reason: string): void {
    if (this.closing || this.said.has(peer)) return;
    this.said.add(peer);
    this.ctx.events.onPeerLost(peer, reason);
  }

  open(receivers: (Socket | undefined)[], senders: (Socket | undefined)[]): Transport {
    receivers.forEach((socket, peer) => {
      if (!socket) return;
      if (socket.destroyed) this.lost(peer, 'TCP connection closed while connecting');
      socket.on('error', (error) => this.lost(peer, `TCP connection error: ${error.message}`));
      socket.on('close', () => this.lost(peer, 'TCP connection closed'));
    });
    senders.forEach((socket, peer) => {
      if (!socket) return;
      const later = (reason: string) =>
        setTimeout(() => this.lost(peer, reason), SEND_CLOSE_GRACE_MS).unref();
      socket.on('error', (error) => later(`TCP connection error: ${error.message}`));
      socket.on('close', () => later('TCP connection closed'));
      // Nothing more comes this way, but reading is how the close is noticed.
      socket.on('data', () => undefined);
    });
    const wrote = () => {
      if (--this.unflushed > 0) return;
      const waiters = this.flushed;
      this.flushed = [];
      for (const resolve of waiters) resolve();
    };
    const all = [...receivers, ...senders].filter((s): s is Socket => s !== undefined);
    return {
      name: 'tcp',
      maxPayload: TCP_MAX_PAYLOAD,
      send: (to: number, frame: Frame) => {
        const socket = senders[to];
        if (!socket || socket.destroyed) return;
        socket.cork();
        socket.write(encodeHeader(frame));
        if (frame.payload.byteLength > 0) {
          this.unflushed++;
          // The callback runs once the bytes are handed to the kernel (or the socket failed).
          socket.write(frame.payload, wrote);
        }
        socket.uncork();
      },
      settled: () =>
        this.unflushed === 0 ? Promise.resolve() : new Promise((resolve) => this.flushed.push(resolve)),
      close: async () => {
        this.closing = true;
        await Promise.all(
          all.map(
            (socket) =>
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
}
