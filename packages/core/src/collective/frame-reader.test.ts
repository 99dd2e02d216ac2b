import { describe, expect, it } from 'vitest';
import { encodeHeader } from './frame.ts';
import { FrameReader, SCRATCH_BYTES } from './frame-reader.ts';
import { type Frame, FrameKind, type PayloadSink } from './types.ts';

const op = { code: 1, dtype: 2, count: 123456, arg: 3, wire: 0 };

function wire(frames: Frame[]): Uint8Array {
  const parts = frames.flatMap((f) => [encodeHeader(f), f.payload]);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Feeds `bytes` the way a socket's onread does: at most `step(i)` bytes per read, into target(). */
function read(reader: FrameReader, bytes: Uint8Array, step: (i: number) => number): void {
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const into = reader.target();
    const n = Math.min(into.length, bytes.length - at, Math.max(1, step(i)));
    into.set(bytes.subarray(at, at + n));
    at += n;
    reader.wrote(n);
  }
}

/** A sink that records what it got, checking each piece is whole, aligned elements. */
function recordingSink(byteLength: number, elementBytes: number) {
  const got = new Uint8Array(byteLength);
  let fill = 0;
  let closed = false;
  const sink: PayloadSink = {
    elementBytes,
    byteLength,
    accept(part) {
      if (part.byteOffset % elementBytes !== 0 || part.byteLength % elementBytes !== 0)
        throw new Error(`piece at ${part.byteOffset}, ${part.byteLength} bytes: not whole aligned elements`);
      if (closed) return;
      got.set(part, fill);
      fill += part.byteLength;
    },
    close() {
      closed = true;
    },
  };
  return { sink, got, filled: () => fill };
}

describe('collective frame reader', () => {
  it('frame reader - reassembles frames split at every possible boundary, payloads 8-byte aligned', () => {
    const frames: Frame[] = [
      {
        kind: FrameKind.data,
        from: 3,
        seq: 7,
        msg: 11,
        op,
        payload: Uint8Array.from({ length: 40 }, (_, i) => i),
      },
      { kind: FrameKind.bye, from: 1, seq: 8, msg: 0, op, payload: new Uint8Array(0) },
      {
        kind: FrameKind.abort,
        from: 65535,
        seq: 0xffffffff,
        msg: 2,
        op,
        payload: new TextEncoder().encode('boom'),
      },
    ];
    const bytes = wire(frames);
    for (let cut = 1; cut < bytes.length; cut += 3) {
      const got: Frame[] = [];
      const reader = new FrameReader({ onFrame: (f) => got.push(f) });
      reader.push(bytes.subarray(0, cut));
      reader.push(bytes.subarray(cut, cut + 5));
      reader.push(bytes.subarray(cut + 5));
      expect(got.map((f) => [f.kind, f.from, f.seq, f.msg, [...f.payload]])).toEqual(
        frames.map((f) => [f.kind, f.from, f.seq, f.msg, [...f.payload]]),
      );
      expect(got[0].op).toEqual(op);
      expect(got[0].payload.byteOffset % 8).toBe(0);
    }
  });

  it('frame reader - streams awaited payloads to their sink in whole aligned elements, whatever the read sizes', () => {
    // Odd lengths (in 2-byte elements) push later frames off 4/8-byte alignment in the stream.
    const big = SCRATCH_BYTES * 2 + 6;
    const sizes = [big, 10, 6, 2 * 1000 + 2, big];
    const frames: Frame[] = sizes.map((n, msg) => ({
      kind: FrameKind.data,
      from: 2,
      seq: 5,
      msg,
      op,
      payload: Uint8Array.from({ length: n }, (_, i) => (i * 31 + msg) & 0xff),
    }));
    const bytes = wire(frames);
    const steps: ((i: number) => number)[] = [
      () => bytes.length,
      (i) => 1 + (i % 3) * 5,
      (i) => [7, 24, 1000, 65536 + 3, 5][i % 5],
      (i) => (i * 7919) % 100_000,
    ];
    for (const step of steps) {
      // Frames 0, 2 and 4 have sinks; 3 has one of the wrong length, so it takes the frame path.
      const sinks = sizes.map((n, msg) =>
        msg === 1 ? undefined : recordingSink(msg === 3 ? n + 2 : n, msg === 4 ? 1 : 2),
      );
      const got: Frame[] = [];
      const reader = new FrameReader({
        onFrame: (f) => got.push(f),
        sinkFor: (head, length) => {
          const s = sinks[head.msg];
          return s && s.sink.byteLength === length ? s.sink : undefined;
        },
      });
      read(reader, bytes, step);
      expect(got.map((f) => [f.msg, Boolean(f.sunk), f.payload.length])).toEqual([
        [0, true, 0],
        [1, false, 10],
        [2, true, 0],
        [3, false, sizes[3]],
        [4, true, 0],
      ]);
      for (const msg of [0, 2, 4]) {
        expect(sinks[msg]!.filled()).toBe(sizes[msg]);
        expect(Buffer.compare(sinks[msg]!.got, frames[msg].payload)).toBe(0);
      }
      expect([...got[1].payload]).toEqual([...frames[1].payload]);
      expect(Buffer.compare(got[3].payload, frames[3].payload)).toBe(0);
    }
  });

  it('frame reader - never reads past the end of a streamed payload', () => {
    const frames: Frame[] = [0, 1].map((msg) => ({
      kind: FrameKind.data,
      from: 0,
      seq: 1,
      msg,
      op,
      payload: new Uint8Array(SCRATCH_BYTES + 100).fill(msg + 1),
    }));
    const bytes = wire(frames);
    const sinks = [0, 1].map(() => recordingSink(SCRATCH_BYTES + 100, 4));
    const reader = new FrameReader({ onFrame: () => undefined, sinkFor: (head) => sinks[head.msg].sink });
    read(reader, bytes.subarray(0, 100), () => 100);
    // From here on every target ends at the payload's end: the next header is not read into it.
    let at = 100;
    while (sinks[0].filled() < SCRATCH_BYTES + 100) {
      const into = reader.target();
      expect(at + into.length).toBeLessThanOrEqual(24 + SCRATCH_BYTES + 100);
      into.set(bytes.subarray(at, at + into.length));
      at += into.length;
      reader.wrote(into.length);
    }
    read(reader, bytes.subarray(at), () => 1 << 20);
    expect(sinks[1].got.every((b) => b === 2)).toBe(true);
  });
});
