export { OnnxPredictor } from './onnx_predictor.ts';
export { OnnxPredictorActor } from './remote.ts';
export type { OnnxPredictorOptions } from './types.ts';
