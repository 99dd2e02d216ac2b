/**
 * Per-channel activation loops in wasm SIMD (kernels.wat), run directly on the tfjs wasm
 * backend's memory: the same loops in JS measured 5-10x slower than the backend's own
 * elementwise kernels. One instance per backend memory, made on first use; null where the
 * runtime lacks wasm SIMD (callers then use their JS loops).
 *
 * Pointers are byte offsets into the backend's memory; n counts elements; C (channels, the
 * innermost axis) must be a positive multiple of 4.
 */
import { type BackendWasm, offsetOf } from '../wasm-kernels/wasm-backend.ts';
import { SIMD_KERNELS_BASE64 } from './kernels.wasm.ts';

export interface SimdKernels {
  /** out[r, c] = x[r, c] * a[c] + b[c]. */
  affine(x: number, a: number, b: number, out: number, n: number, C: number): void;
  /** out = g[c] * dy + k[c] * (x - m[c]) + c0[c], with g, k, m, c0 consecutive [C] rows at coef. */
  bn_dx(dy: number, x: number, coef: number, out: number, n: number, C: number): void;
  /**
   * acc[c] += sum of y[., c]; acc[C + c] += sum of y[., c] * (x[., c] - m[c]); acc float64 [2C],
   * scratch float32 [2C].
   */
  channel_sums(y: number, x: number, m: number, scratch: number, acc: number, n: number, C: number): void;
  /**
   * dst[c, i, j] = src[i * si + j * sj + c] (c < C, i < ni, j < nj; si, sj in bytes): channel
   * planes, `plane` bytes apart, of a strided grid of NHWC rows. Any C.
   */
  gather_channels(
    src: number,
    dst: number,
    C: number,
    ni: number,
    si: number,
    nj: number,
    sj: number,
    plane: number,
  ): void;
  /** out[i] = x[i] > 0 ? dy[i] : 0 for n elements (any n). */
  relu_grad(dy: number, x: number, out: number, n: number): void;
}

// The WebAssembly API, typed here: the project's lib settings (ES2023, node) leave it out.
interface WasmApi {
  Memory: abstract new (...args: never[]) => object;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const instances = new WeakMap<object, SimdKernels | null>();
let compiled: object | null | undefined;

/** Tests turn this off to exercise the callers' JS loops. */
export const simdTuning = { enabled: true };

export function simdKernels(backend: BackendWasm): SimdKernels | null {
  if (!simdTuning.enabled) return null;
  const memory = (backend.wasm as unknown as { asm?: { memory?: unknown } }).asm?.memory;
  if (!(memory instanceof wasm.Memory)) return null;
  let kernels = instances.get(memory);
  if (kernels === undefined) {
    kernels = instantiate(memory);
    instances.set(memory, kernels);
  }
  return kernels;
}

function instantiate(memory: object): SimdKernels | null {
  try {
    compiled ??= new wasm.Module(Buffer.from(SIMD_KERNELS_BASE64, 'base64'));
    return new wasm.Instance(compiled, { env: { memory } }).exports as unknown as SimdKernels;
  } catch {
    compiled = null;
    return null;
  }
}

/** Whether simd kernels can run on rows of `channels`. */
export function simdChannels(channels: number): boolean {
  return channels > 0 && channels % 4 === 0;
}

/** A tensor's byte offset in the backend's memory. */
export function byteOffset(backend: BackendWasm, info: Parameters<typeof offsetOf>[1]): number {
  return offsetOf(backend, info) * 4;
}
