import type { InferenceSession } from 'onnxruntime-node';

export interface OnnxPredictorOptions {
  /** Path to a .onnx file, or the model bytes. */
  readonly model: string | Uint8Array;
  /** Model input name -> batch column feeding it (default: the column of the same name). */
  readonly inputs?: Readonly<Record<string, string>>;
  /** Model output name -> new column name (default: the output's own name). */
  readonly outputs?: Readonly<Record<string, string>>;
  /** onnxruntime execution providers, in order of preference (default `['cpu']`; `cuda` needs the GPU build). */
  readonly executionProviders?: readonly string[];
  /** Extra onnxruntime session options (threads, graph optimization...). */
  readonly sessionOptions?: Omit<InferenceSession.SessionOptions, 'executionProviders'>;
  /** Keep the batch's own columns beside the outputs (default true). */
  readonly keepColumns?: boolean;
}
