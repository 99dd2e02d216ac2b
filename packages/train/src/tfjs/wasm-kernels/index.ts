export { makeBroadcastBinaryConfig } from './broadcast-binary.ts';
export {
  conv2DBackpropFilter,
  conv2DBackpropFilterConfig,
  conv2DBackpropFilterTuning,
} from './Conv2DBackpropFilter.ts';
export {
  conv2DBackpropInput,
  conv2DBackpropInputConfig,
  conv2DBackpropInputTuning,
} from './Conv2DBackpropInput.ts';
export {
  depthwiseConv2dNativeBackpropFilter,
  depthwiseConv2dNativeBackpropFilterConfig,
} from './DepthwiseConv2dNativeBackpropFilter.ts';
export {
  depthwiseConv2dNativeBackpropInput,
  depthwiseConv2dNativeBackpropInputConfig,
} from './DepthwiseConv2dNativeBackpropInput.ts';
export { identity, identityConfig } from './Identity.ts';
export { makeMeanConfig } from './Mean.ts';
export { isMantaWasmKernel, registerWasmTrainingKernels, WASM_TRAINING_KERNELS } from './register.ts';
export { makeSumConfig } from './Sum.ts';
export { makeTileConfig } from './Tile.ts';
