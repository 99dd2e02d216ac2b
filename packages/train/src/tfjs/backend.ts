/**
 * TensorFlow.js backend choice at worker start (DESIGN.md, "Tensors and the GPU"):
 * `tensorflow` (native libtensorflow: @tensorflow/tfjs-node-gpu, then @tensorflow/tfjs-node)
 * when installed, else `wasm` (with Manta's training kernels registered), else `cpu`.
 * `useGpu: true` requires the GPU build and says how to install it when it is missing.
 */

import { parseConfig } from '@manta/core/internal';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { BackendUnavailableError } from './errors.ts';
import { registerWasmTrainingKernels } from './wasm-kernels/index.ts';

export const BACKEND_NAMES = { tensorflow: 'tensorflow', wasm: 'wasm', cpu: 'cpu' } as const;
export type BackendName = (typeof BACKEND_NAMES)[keyof typeof BACKEND_NAMES];

export interface SelectBackendOptions {
  /** Require the CUDA build (@tensorflow/tfjs-node-gpu). */
  useGpu?: boolean;
  /** Force one backend instead of the best available one. */
  backend?: BackendName;
}

const optionsSchema = z
  .object({
    useGpu: z.boolean().optional(),
    backend: z.enum(['tensorflow', 'wasm', 'cpu']).optional(),
  })
  .strict();

/** Loads a module by name; replaceable so tests can stand in for the native packages. */
export type ModuleLoader = (specifier: string) => Promise<unknown>;

const loadModule: ModuleLoader = (specifier) => import(specifier);

const GPU_PACKAGE = '@tensorflow/tfjs-node-gpu';
const CPU_NATIVE_PACKAGE = '@tensorflow/tfjs-node';
const WASM_PACKAGE = '@tensorflow/tfjs-backend-wasm';
const INSTALL_GPU =
  `npm install ${GPU_PACKAGE}@${tf.version_core} (Linux x86-64 with an NVIDIA GPU, CUDA 11.2 and cuDNN 8.1; ` +
  'its install step downloads libtensorflow, so it needs network access to storage.googleapis.com)';

/**
 * Makes the chosen backend the active one and returns its name. Idempotent: calling it again
 * with the same options returns the same name without re-initialising anything.
 */
export async function selectBackend(
  options: SelectBackendOptions = {},
  load: ModuleLoader = loadModule,
): Promise<BackendName> {
  const { useGpu = false, backend } = parseConfig(optionsSchema, options, 'selectBackend options');
  if (useGpu && backend !== undefined && backend !== 'tensorflow') {
    throw new BackendUnavailableError(
      backend,
      `selectBackend: useGpu: true needs the 'tensorflow' backend (${GPU_PACKAGE}), but backend: '${backend}' was asked for`,
    );
  }
  if (useGpu || backend === 'tensorflow' || backend === undefined) {
    const native = await tryNative(useGpu, load);
    if (native) return activate('tensorflow');
    if (useGpu) {
      throw new BackendUnavailableError(
        'tensorflow',
        `selectBackend: useGpu: true needs TensorFlow.js's GPU build, and ${GPU_PACKAGE} could not be loaded. ` +
          `Install it on the GPU machines: ${INSTALL_GPU}.`,
      );
    }
    if (backend === 'tensorflow') {
      throw new BackendUnavailableError(
        'tensorflow',
        `selectBackend: backend 'tensorflow' needs ${CPU_NATIVE_PACKAGE} (or ${GPU_PACKAGE}), and neither could be loaded. ` +
          `Install one: npm install ${CPU_NATIVE_PACKAGE}@${tf.version_core} (its install step downloads libtensorflow).`,
      );
    }
  }
  if (backend === 'wasm' || backend === undefined) {
    if (await tryWasm(load)) return activate('wasm');
    if (backend === 'wasm') {
      throw new BackendUnavailableError(
        'wasm',
        `selectBackend: backend 'wasm' could not be initialised; is ${WASM_PACKAGE} installed?`,
      );
    }
  }
  return activate('cpu');
}

/** Loads the native binding: GPU build first, then the CPU build unless the GPU is required. */
async function tryNative(useGpu: boolean, load: ModuleLoader): Promise<boolean> {
  // Both native builds register as 'tensorflow', so a registered backend does not tell which
  // one is loaded: always ask for the package (a module already imported loads at no cost).
  for (const specifier of useGpu ? [GPU_PACKAGE] : [GPU_PACKAGE, CPU_NATIVE_PACKAGE]) {
    try {
      await load(specifier);
    } catch {
      continue;
    }
    if (tf.findBackendFactory('tensorflow')) return true;
  }
  return false;
}

async function tryWasm(load: ModuleLoader): Promise<boolean> {
  try {
    if (!tf.findBackendFactory('wasm')) await load(WASM_PACKAGE);
  } catch {
    return false;
  }
  registerWasmTrainingKernels();
  return tf.findBackendFactory('wasm') !== null;
}

async function activate(name: BackendName): Promise<BackendName> {
  if (tf.getBackend() !== name) {
    const ok = await tf.setBackend(name);
    if (!ok)
      throw new BackendUnavailableError(name, `selectBackend: the '${name}' backend failed to initialise`);
  }
  await tf.ready();
  return name;
}
