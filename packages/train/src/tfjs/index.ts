export {
  BACKEND_NAMES,
  type BackendName,
  type ModuleLoader,
  type SelectBackendOptions,
  selectBackend,
} from './backend.ts';
export { BackendUnavailableError } from './errors.ts';
export {
  isMantaWasmKernel,
  registerWasmTrainingKernels,
  WASM_TRAINING_KERNELS,
} from './wasm-kernels/index.ts';
