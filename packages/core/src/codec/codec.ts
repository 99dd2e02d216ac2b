import { addExtension, Packr } from 'msgpackr';

/**
 * The one msgpack codec for everything Manta sends. `moreTypes` makes typed arrays round-trip
 * as the same typed array (raw bytes, no per-element encoding); plain objects stay maps so a
 * hostile sender cannot grow a shared record-structure table.
 */
const packr = new Packr({ moreTypes: true, useRecords: false, mapsAsObjects: true });

export function encode(value: unknown): Uint8Array {
  return packr.pack(value);
}

export function decode(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}

/** Extension type numbers owned by Manta (msgpack allows 0..127 for applications). */
export const ExtensionType = { ObjectRef: 0x40, ActorHandle: 0x41, Error: 0x42 } as const;

export function registerExtension<T>(
  type: number,
  Class: abstract new (...args: never[]) => T,
  write: (value: T) => unknown,
  read: (data: unknown) => T,
): void {
  // msgpackr's typings want a bare `Function` constructor type.
  // biome-ignore lint/complexity/noBannedTypes: that is the library's own parameter type
  addExtension({ type, Class: Class as unknown as Function, write: write as (v: unknown) => unknown, read });
}
