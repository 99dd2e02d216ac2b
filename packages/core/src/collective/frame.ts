/**
 * The frame codec shared by every transport: a 24-byte little-endian header then the payload.
 *
 *   0 u8 kind   1 u8 wire   2 u16 from   4 u32 seq   8 u32 msg
 *  12 u8 code  13 u8 dtype 14 u16 arg   16 u32 count  20 u32 payload length
 */
import type { Frame, FrameKind, OpHeader } from './types.ts';

export const FRAME_HEADER_BYTES = 24;

export function encodeHeader(frame: Frame): Uint8Array {
  const header = new Uint8Array(FRAME_HEADER_BYTES);
  const view = new DataView(header.buffer);
  view.setUint8(0, frame.kind);
  view.setUint8(1, frame.op.wire);
  view.setUint16(2, frame.from, true);
  view.setUint32(4, frame.seq, true);
  view.setUint32(8, frame.msg, true);
  view.setUint8(12, frame.op.code);
  view.setUint8(13, frame.op.dtype);
  view.setUint16(14, frame.op.arg, true);
  view.setUint32(16, frame.op.count, true);
  view.setUint32(20, frame.payload.byteLength, true);
  return header;
}

/** Payload length announced by a header starting at `bytes[offset]`. */
export function payloadLength(bytes: Uint8Array, offset = 0): number {
  return new DataView(bytes.buffer, bytes.byteOffset + offset, FRAME_HEADER_BYTES).getUint32(20, true);
}

/** Decodes one frame whose header starts at `bytes[0]`; the payload is a view, not a copy. */
export function decodeFrame(bytes: Uint8Array): Frame {
  const view = new DataView(bytes.buffer, bytes.byteOffset, FRAME_HEADER_BYTES);
  const length = view.getUint32(20, true);
  const op: OpHeader = {
    code: view.getUint8(12),
    dtype: view.getUint8(13),
    arg: view.getUint16(14, true),
    count: view.getUint32(16, true),
    wire: view.getUint8(1),
  };
  return {
    kind: view.getUint8(0) as FrameKind,
    from: view.getUint16(2, true),
    seq: view.getUint32(4, true),
    msg: view.getUint32(8, true),
    op,
    payload: bytes.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + length),
  };
}

export function sameOp(a: OpHeader, b: OpHeader): boolean {
  return (
    a.code === b.code && a.dtype === b.dtype && a.count === b.count && a.arg === b.arg && a.wire === b.wire
  );
}
