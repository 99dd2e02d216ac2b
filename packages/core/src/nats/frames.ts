import { randomBytes } from 'node:crypto';
import type { NatsConnection } from 'nats';
import { MantaError } from '../errors/index.ts';

/**
 * Framing for payloads of any size over NATS, whose server rejects messages above
 * `max_payload` (1 MiB by default). A payload that fits goes as one frame; a larger one is
 * split into chunks that carry a transfer id, their index and the count, and is put back
 * together by a Reassembler on the receiving side.
 *
 *   whole frame: [0][payload...]
 *   chunk frame: [1][transfer id: 16 bytes][index: u32][count: u32][data...]
 */
const WHOLE = 0;
const CHUNK = 1;
const CHUNK_HEADER = 1 + 16 + 4 + 4;
/** Room left under max_payload for NATS headers and protocol overhead. */
const HEADROOM = 4096;

export function maxFrameBytes(nc: NatsConnection): number {
  return (nc.info?.max_payload ?? 1024 * 1024) - HEADROOM;
}

export function publishFramed(
  nc: NatsConnection,
  subject: string,
  payload: Uint8Array,
  reply?: string,
): void {
  const limit = maxFrameBytes(nc);
  const options = reply ? { reply } : undefined;
  if (payload.byteLength + 1 <= limit) {
    const frame = new Uint8Array(payload.byteLength + 1);
    frame[0] = WHOLE;
    frame.set(payload, 1);
    nc.publish(subject, frame, options);
    return;
  }
  const chunkBytes = limit - CHUNK_HEADER;
  const count = Math.ceil(payload.byteLength / chunkBytes);
  const id = randomBytes(16);
  for (let index = 0; index < count; index++) {
    const data = payload.subarray(index * chunkBytes, Math.min(payload.byteLength, (index + 1) * chunkBytes));
    const frame = new Uint8Array(CHUNK_HEADER + data.byteLength);
    const view = new DataView(frame.buffer);
    frame[0] = CHUNK;
    frame.set(id, 1);
    view.setUint32(17, index);
    view.setUint32(21, count);
    frame.set(data, CHUNK_HEADER);
    nc.publish(subject, frame, options);
  }
}

export class FrameError extends MantaError {
  constructor(message: string) {
    super('BAD_FRAME', message);
  }
}

interface PartialTransfer {
  parts: (Uint8Array | undefined)[];
  received: number;
  bytes: number;
  startedAt: number;
}

export interface ReassemblerLimits {
  /** Transfers not completed within this time are dropped (default 120 s). */
  timeoutMs?: number;
  /** Most bytes held in incomplete transfers at once (default 8 GiB). */
  maxPendingBytes?: number;
}

/** Puts chunked payloads back together; rejects malformed frames with a FrameError. */
export class Reassembler {
  private readonly transfers = new Map<string, PartialTransfer>();
  private pendingBytes = 0;
  private readonly timeoutMs: number;
  private readonly maxPendingBytes: number;

  constructor(limits: ReassemblerLimits = {}) {
    this.timeoutMs = limits.timeoutMs ?? 120_000;
    this.maxPendingBytes = limits.maxPendingBytes ?? 8 * 1024 ** 3;
  }

  /** Returns the whole payload once complete, or undefined while chunks are missing. */
  accept(frame: Uint8Array): Uint8Array | undefined {
    if (frame.byteLength < 1) throw new FrameError('empty frame');
    if (frame[0] === WHOLE) return frame.subarray(1);
    if (frame[0] !== CHUNK || frame.byteLength < CHUNK_HEADER)
      throw new FrameError(`unknown frame tag ${frame[0]}`);
    const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    const id = Buffer.from(frame.subarray(1, 17)).toString('hex');
    const index = view.getUint32(17);
    const count = view.getUint32(21);
    if (count < 1 || index >= count || count > 1 << 20) throw new FrameError(`bad chunk ${index}/${count}`);
    this.expire();
    let transfer = this.transfers.get(id);
    if (!transfer) {
      transfer = { parts: new Array(count), received: 0, bytes: 0, startedAt: Date.now() };
      this.transfers.set(id, transfer);
    }
    if (transfer.parts.length !== count) throw new FrameError(`chunk count changed mid-transfer (${count})`);
    if (transfer.parts[index]) return undefined; // duplicate
    const data = frame.slice(CHUNK_HEADER);
    if (this.pendingBytes + data.byteLength > this.maxPendingBytes) {
      this.drop(id);
      throw new FrameError('too many bytes in incomplete transfers');
    }
    transfer.parts[index] = data;
    transfer.received++;
    transfer.bytes += data.byteLength;
    this.pendingBytes += data.byteLength;
    if (transfer.received < count) return undefined;
    this.drop(id);
    const whole = new Uint8Array(transfer.bytes);
    let offset = 0;
    for (const part of transfer.parts) {
      whole.set(part!, offset);
      offset += part!.byteLength;
    }
    return whole;
  }

  get pendingTransfers(): number {
    return this.transfers.size;
  }

  private drop(id: string): void {
    const transfer = this.transfers.get(id);
    if (!transfer) return;
    this.pendingBytes -= transfer.bytes;
    this.transfers.delete(id);
  }

  private expire(): void {
    const now = Date.now();
    for (const [id, transfer] of this.transfers) {
      if (now - transfer.startedAt > this.timeoutMs) this.drop(id);
    }
  }
}
