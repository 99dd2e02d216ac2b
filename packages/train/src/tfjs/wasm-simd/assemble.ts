/** kernels.wat -> wasm bytes, with wabt (a dev dependency: used by the build script and its test only). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export async function assembleSimdKernels(): Promise<Uint8Array> {
  const wabt = await (await import('wabt')).default();
  const source = readFileSync(fileURLToPath(new URL('./kernels.wat', import.meta.url)), 'utf8');
  const module = wabt.parseWat('kernels.wat', source, { simd: true, bulk_memory: true });
  try {
    return module.toBinary({}).buffer;
  } finally {
    module.destroy();
  }
}
