import type { OnnxAttribute } from './types.ts';

/** Typed attribute constructors: `attr.int(1)`, `attr.float(1e-5)`, `attr.ints([3, 3])`. */
export const attr = {
  float: (value: number): OnnxAttribute => ({ kind: 'float', value }),
  int: (value: number): OnnxAttribute => ({ kind: 'int', value }),
  string: (value: string): OnnxAttribute => ({ kind: 'string', value }),
  floats: (value: readonly number[]): OnnxAttribute => ({ kind: 'floats', value }),
  ints: (value: readonly number[]): OnnxAttribute => ({ kind: 'ints', value }),
} as const;

// AttributeProto.AttributeType codes.
const TYPE = { float: 1, int: 2, string: 3, floats: 6, ints: 7 } as const;

/** An attribute as a protobufjs plain object. */
export function attributeMessage(name: string, a: OnnxAttribute): Record<string, unknown> {
  const base = { name, type: TYPE[a.kind] };
  switch (a.kind) {
    case 'float':
      return { ...base, f: a.value };
    case 'int':
      return { ...base, i: a.value };
    case 'string':
      return { ...base, s: new TextEncoder().encode(a.value) };
    case 'floats':
      return { ...base, floats: [...a.value] };
    case 'ints':
      return { ...base, ints: [...a.value] };
  }
}

/** Drop undefined entries (optional attributes left to ONNX defaults). */
export function attrs(entries: Record<string, OnnxAttribute | undefined>): Record<string, OnnxAttribute> {
  const out: Record<string, OnnxAttribute> = {};
  for (const [k, v] of Object.entries(entries)) if (v) out[k] = v;
  return out;
}
