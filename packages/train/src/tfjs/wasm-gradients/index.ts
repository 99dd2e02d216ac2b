export { isMantaWasmGradient, registerWasmTrainingGradients, WASM_TRAINING_GRADIENTS } from './register.ts';
