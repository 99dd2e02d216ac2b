export { attr } from './attributes.ts';
export { OnnxGraphBuilder } from './graph_builder.ts';
export type { OnnxElementType } from './proto.ts';
export { OnnxDataType, onnxType } from './proto.ts';
export type {
  ConvOptions,
  GemmOptions,
  GraphOptions,
  OnnxAttribute,
  OnnxDim,
  OnnxInitializer,
  OnnxNode,
  OnnxValueInfo,
  PoolOptions,
} from './types.ts';
