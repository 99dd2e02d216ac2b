import { describe, expect, it } from 'vitest';
import { encodeHeader } from './frame.ts';
import { FrameReader } from './frame-reader.ts';
import { type Frame, FrameKind } from './types.ts';

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
      const reader = new FrameReader((f) => got.push(f));
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
});
