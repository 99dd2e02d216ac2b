export { OnnxPredictor } from './onnx_predictor.ts';
export type { OnnxPredictorOptions } from './types.ts';
