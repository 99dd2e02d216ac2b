import { actor } from '@manta/core';
import { registerBatchClass } from '../ops/index.ts';
import { OnnxPredictor } from './onnx_predictor.ts';

/**
 * OnnxPredictor as a core actor class, so `mapBatches(OnnxPredictor, { compute: actorPool(...) })`
 * runs it in pool worker processes: they import this module and find it by its URL.
 */
export const OnnxPredictorActor = actor(import.meta.url, OnnxPredictor);
registerBatchClass(OnnxPredictor, OnnxPredictorActor.descriptor);
