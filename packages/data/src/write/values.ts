/** A cell as plain JSON-able data: typed-array cells become number arrays, bigints numbers or strings. */
export function plainValue(v: unknown): unknown {
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  return v;
}
