import type { CollectiveArray, Dtype } from './types.ts';

/** Wire codes for each dtype; a code travels in every frame header. */
export const DTYPE_CODES = { float32: 1, float64: 2, int32: 3 } as const satisfies Record<Dtype, number>;

type Ctor = Float32ArrayConstructor | Float64ArrayConstructor | Int32ArrayConstructor;
const CTORS: Record<Dtype, Ctor> = { float32: Float32Array, float64: Float64Array, int32: Int32Array };

export function dtypeOf(buf: unknown): Dtype | undefined {
  if (buf instanceof Float32Array) return 'float32';
  if (buf instanceof Float64Array) return 'float64';
  if (buf instanceof Int32Array) return 'int32';
  return undefined;
}

export function dtypeName(code: number): string {
  return (Object.keys(DTYPE_CODES) as Dtype[]).find((k) => DTYPE_CODES[k] === code) ?? `dtype#${code}`;
}

export function allocLike<T extends CollectiveArray>(buf: T, length: number): T {
  return new (buf.constructor as Ctor)(length) as T;
}

/** A typed view of `bytes`; copies only when the bytes are not aligned to the element size. */
export function viewAs(dtype: Dtype, bytes: Uint8Array): CollectiveArray {
  const ctor = CTORS[dtype];
  const size = ctor.BYTES_PER_ELEMENT;
  // A fresh copy (not bytes.slice(): on a Node Buffer that is a view).
  if (bytes.byteOffset % size !== 0) bytes = new Uint8Array(bytes);
  return new ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength / size);
}

/** The bytes of elements [start, end) of `buf`, without copying. */
export function bytesOf(buf: CollectiveArray, start = 0, end = buf.length): Uint8Array {
  const size = buf.BYTES_PER_ELEMENT;
  return new Uint8Array(buf.buffer, buf.byteOffset + start * size, (end - start) * size);
}
