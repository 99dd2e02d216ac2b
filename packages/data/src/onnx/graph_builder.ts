import { OnnxError } from '../errors/index.ts';
import { attr, attributeMessage, attrs } from './attributes.ts';
import type { OnnxElementType } from './proto.ts';
import { OnnxDataType, onnxType } from './proto.ts';
import type {
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

const opt = <T>(v: T | undefined, f: (v: T) => OnnxAttribute): OnnxAttribute | undefined =>
  v === undefined ? undefined : f(v);

/**
 * Builds an ONNX model: declare inputs, add initializers (weights) and nodes, mark outputs,
 * then `toBytes()`. Each node helper returns its output name for chaining.
 */
export class OnnxGraphBuilder {
  private readonly inputs: OnnxValueInfo[] = [];
  private readonly outputs: OnnxValueInfo[] = [];
  private readonly nodes: OnnxNode[] = [];
  private readonly initializers: OnnxInitializer[] = [];
  private readonly names = new Set<string>();
  private counter = 0;

  constructor(private readonly options: GraphOptions = {}) {}

  private fresh(prefix: string): string {
    let name: string;
    do name = `${prefix}_${this.counter++}`;
    while (this.names.has(name));
    return name;
  }

  private claim(name: string): string {
    if (this.names.has(name)) throw new OnnxError(`ONNX graph: the name "${name}" is already used`);
    this.names.add(name);
    return name;
  }

  input(name: string, elemType: OnnxElementType, shape: readonly OnnxDim[]): string {
    this.inputs.push({ name: this.claim(name), elemType, shape });
    return name;
  }

  output(name: string, elemType: OnnxElementType, shape: readonly OnnxDim[]): string {
    if (!this.names.has(name))
      throw new OnnxError(`ONNX graph: output "${name}" is produced by no node, input or initializer`);
    this.outputs.push({ name, elemType, shape });
    return name;
  }

  initializer(name: string, data: OnnxInitializer['data'], dims: readonly number[]): string {
    const size = dims.reduce((p, d) => p * d, 1);
    if (size !== data.length)
      throw new OnnxError(
        `ONNX initializer "${name}": dims [${dims}] need ${size} values, got ${data.length}`,
      );
    this.initializers.push({ name: this.claim(name), data, dims });
    return name;
  }

  /** Add any node; returns its output names. */
  node(
    opType: string,
    inputs: readonly string[],
    attributes: Record<string, OnnxAttribute> = {},
    options: { outputs?: number | readonly string[]; name?: string } = {},
  ): string[] {
    for (const input of inputs) {
      if (input !== '' && !this.names.has(input))
        throw new OnnxError(`ONNX ${opType} node: input "${input}" is not defined yet`);
    }
    const outputs = Array.isArray(options.outputs)
      ? options.outputs.map((o) => this.claim(o))
      : Array.from({ length: (options.outputs as number | undefined) ?? 1 }, () =>
          this.claim(this.fresh(opType.toLowerCase())),
        );
    this.nodes.push({
      opType,
      inputs,
      outputs,
      name: options.name ?? this.fresh(`${opType}_node`),
      attributes,
    });
    return outputs;
  }

  private one(
    opType: string,
    inputs: readonly string[],
    attributes: Record<string, OnnxAttribute | undefined> = {},
    output?: string,
  ): string {
    return this.node(opType, inputs, attrs(attributes), output ? { outputs: [output] } : {})[0];
  }

  /** Y = alpha * A' B' + beta * C. */
  gemm(a: string, b: string, c?: string, options: GemmOptions = {}, output?: string): string {
    return this.one(
      'Gemm',
      c ? [a, b, c] : [a, b],
      {
        alpha: opt(options.alpha, attr.float),
        beta: opt(options.beta, attr.float),
        transA: opt(options.transA, (v) => attr.int(v ? 1 : 0)),
        transB: opt(options.transB, (v) => attr.int(v ? 1 : 0)),
      },
      output,
    );
  }

  relu(x: string, output?: string): string {
    return this.one('Relu', [x], {}, output);
  }

  add(a: string, b: string, output?: string): string {
    return this.one('Add', [a, b], {}, output);
  }

  conv(x: string, w: string, b?: string, options: ConvOptions = {}, output?: string): string {
    return this.one(
      'Conv',
      b ? [x, w, b] : [x, w],
      {
        kernel_shape: opt(options.kernelShape, attr.ints),
        strides: opt(options.strides, attr.ints),
        pads: opt(options.pads, attr.ints),
        dilations: opt(options.dilations, attr.ints),
        group: opt(options.group, attr.int),
      },
      output,
    );
  }

  batchNormalization(
    x: string,
    scale: string,
    bias: string,
    mean: string,
    variance: string,
    options: { epsilon?: number; momentum?: number } = {},
    output?: string,
  ): string {
    return this.one(
      'BatchNormalization',
      [x, scale, bias, mean, variance],
      {
        epsilon: opt(options.epsilon, attr.float),
        momentum: opt(options.momentum, attr.float),
      },
      output,
    );
  }

  maxPool(x: string, options: PoolOptions, output?: string): string {
    return this.one(
      'MaxPool',
      [x],
      {
        kernel_shape: attr.ints(options.kernelShape),
        strides: opt(options.strides, attr.ints),
        pads: opt(options.pads, attr.ints),
      },
      output,
    );
  }

  globalAveragePool(x: string, output?: string): string {
    return this.one('GlobalAveragePool', [x], {}, output);
  }

  flatten(x: string, options: { axis?: number } = {}, output?: string): string {
    return this.one('Flatten', [x], { axis: opt(options.axis, attr.int) }, output);
  }

  softmax(x: string, options: { axis?: number } = {}, output?: string): string {
    return this.one('Softmax', [x], { axis: opt(options.axis, attr.int) }, output);
  }

  /** NHWC -> NCHW and back, for models fed HWC images. */
  transpose(x: string, perm: readonly number[], output?: string): string {
    return this.one('Transpose', [x], { perm: attr.ints(perm) }, output);
  }

  /** The model as ONNX protobuf bytes. */
  toBytes(): Uint8Array {
    if (this.outputs.length === 0)
      throw new OnnxError('ONNX graph has no outputs; call output(name, type, shape)');
    const ModelProto = onnxType('ModelProto');
    const model = {
      irVersion: 8,
      producerName: this.options.producerName ?? 'manta',
      opsetImport: [{ domain: '', version: this.options.opset ?? 13 }],
      graph: {
        name: this.options.name ?? 'graph',
        node: this.nodes.map((n) => ({
          input: [...n.inputs],
          output: [...n.outputs],
          name: n.name,
          opType: n.opType,
          attribute: Object.entries(n.attributes).map(([k, a]) => attributeMessage(k, a)),
        })),
        initializer: this.initializers.map(tensorMessage),
        input: this.inputs.map(valueInfoMessage),
        output: this.outputs.map(valueInfoMessage),
      },
    };
    const error = ModelProto.verify(model);
    if (error) throw new OnnxError(`ONNX model does not verify: ${error}`);
    return ModelProto.encode(ModelProto.fromObject(model)).finish();
  }
}

function tensorMessage(t: OnnxInitializer): Record<string, unknown> {
  const dataType =
    t.data instanceof Float32Array
      ? OnnxDataType.float32
      : t.data instanceof Int32Array
        ? OnnxDataType.int32
        : t.data instanceof BigInt64Array
          ? OnnxDataType.int64
          : OnnxDataType.uint8;
  // raw_data is little-endian, which is every platform Node runs on.
  return {
    name: t.name,
    dims: [...t.dims],
    dataType,
    rawData: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
  };
}

function valueInfoMessage(v: OnnxValueInfo): Record<string, unknown> {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: OnnxDataType[v.elemType],
        shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}
