import { parseConfig } from '@manta/core/internal';
import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { z } from 'zod';
import type { Tensor, TypedArray } from '../block/index.ts';
import { OnnxError } from '../errors/index.ts';
import type { BatchOutput, TensorBatch } from '../ops/index.ts';
import type { OnnxPredictorOptions } from './types.ts';

const schema = z
  .object({
    model: z.union([z.string().min(1), z.instanceof(Uint8Array)]),
    inputs: z.record(z.string(), z.string()).optional(),
    outputs: z.record(z.string(), z.string()).optional(),
    executionProviders: z.array(z.string().min(1)).min(1).default(['cpu']),
    sessionOptions: z.record(z.string(), z.unknown()).optional(),
    keepColumns: z.boolean().default(true),
  })
  .strict();

type ModelElement = 'float32' | 'float64' | 'int32' | 'int64' | 'uint8' | 'int8' | 'bool';

/**
 * Batch inference with onnxruntime-node, made for `mapBatches`: the session is created once per
 * instance (so once per worker) and reused. Input columns feed the model's named inputs;
 * each model output becomes a new column.
 *
 *   ds.mapBatches(OnnxPredictor, { constructorArgs: [{ model: 'net.onnx' }], batchFormat: 'tensor', concurrency: 2 })
 */
export class OnnxPredictor {
  private readonly options: z.output<typeof schema>;
  private session: Promise<InferenceSession> | undefined;

  constructor(options: OnnxPredictorOptions) {
    this.options = parseConfig(schema, options, 'OnnxPredictor options');
  }

  /** Create (once) and return the onnxruntime session. */
  getSession(): Promise<InferenceSession> {
    this.session ??= this.createSession();
    return this.session;
  }

  private async createSession(): Promise<InferenceSession> {
    const { model, executionProviders, sessionOptions } = this.options;
    const options = {
      ...sessionOptions,
      executionProviders: [...executionProviders],
    } as InferenceSession.SessionOptions;
    try {
      return typeof model === 'string'
        ? await InferenceSession.create(model, options)
        : await InferenceSession.create(model, options);
    } catch (cause) {
      const what = typeof model === 'string' ? model : `${model.byteLength}-byte model`;
      throw new OnnxError(
        `cannot load ONNX model ${what} with providers [${executionProviders}]: ${(cause as Error).message}`,
        { cause },
      );
    }
  }

  async call(batch: TensorBatch | Record<string, unknown>): Promise<BatchOutput> {
    const session = await this.getSession();
    const feeds: Record<string, OrtTensor> = {};
    let rows: number | undefined;
    for (const meta of session.inputMetadata) {
      const column = this.options.inputs?.[meta.name] ?? meta.name;
      const value = batch[column];
      if (value === undefined) {
        throw new OnnxError(
          `ONNX model input "${meta.name}" needs batch column "${column}"; the batch has [${Object.keys(batch)}]`,
        );
      }
      const tensor = asTensor(value, column);
      rows ??= tensor.shape[0];
      const type = (meta.isTensor ? meta.type : 'float32') as ModelElement;
      feeds[meta.name] = new OrtTensor(type, convert(tensor.data, type) as never, [...tensor.shape]);
    }
    let results: InferenceSession.ReturnType;
    try {
      results = await session.run(feeds);
    } catch (cause) {
      throw new OnnxError(`ONNX inference failed: ${(cause as Error).message}`, { cause });
    }
    const out: Record<string, unknown> = this.options.keepColumns ? { ...batch } : {};
    for (const name of session.outputNames) {
      const t = results[name];
      out[this.options.outputs?.[name] ?? name] = fromOrt(t, rows);
    }
    return out;
  }

  /** Release the session (the executor calls this when a worker's stream ends). */
  async dispose(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    if (session) await (await session.catch(() => undefined))?.release();
  }
}

function asTensor(value: unknown, column: string): Tensor {
  if (ArrayBuffer.isView(value)) return { data: value as TypedArray, shape: [(value as TypedArray).length] };
  if (value && typeof value === 'object' && 'data' in value && 'shape' in value) return value as Tensor;
  if (Array.isArray(value) && value.every((v) => typeof v === 'number'))
    return { data: Float64Array.from(value), shape: [value.length] };
  throw new OnnxError(`column "${column}" is not numeric; ONNX inputs need typed-array or tensor columns`);
}

function convert(data: TypedArray, type: ModelElement): ArrayBufferView {
  switch (type) {
    case 'float32':
      return data instanceof Float32Array ? data : Float32Array.from(data);
    case 'float64':
      return data instanceof Float64Array ? data : Float64Array.from(data);
    case 'int32':
      return data instanceof Int32Array ? data : Int32Array.from(data);
    case 'uint8':
      return data instanceof Uint8Array ? data : Uint8Array.from(data);
    case 'int8':
      return Int8Array.from(data);
    case 'bool':
      return Uint8Array.from(data, (v) => (v ? 1 : 0));
    case 'int64':
      return BigInt64Array.from(data as ArrayLike<number>, (v) => BigInt(Math.trunc(v)));
    default:
      throw new OnnxError(`ONNX input type ${type} is not supported by OnnxPredictor`);
  }
}

function fromOrt(t: OrtTensor, rows: number | undefined): Tensor | unknown[] {
  const dims = [...t.dims];
  const data = t.data;
  if (
    data instanceof Float32Array ||
    data instanceof Float64Array ||
    data instanceof Int32Array ||
    data instanceof Uint8Array
  ) {
    return { data, shape: dims };
  }
  if (data instanceof BigInt64Array) return { data: Float64Array.from(data, Number), shape: dims };
  if (data instanceof Int8Array || data instanceof Uint16Array || data instanceof Int16Array)
    return { data: Float32Array.from(data), shape: dims };
  if (Array.isArray(data)) return data.length === rows ? data : [data];
  throw new OnnxError(`ONNX output type ${t.type} is not supported by OnnxPredictor`);
}
