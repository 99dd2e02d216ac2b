import { InferenceSession, Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { OnnxError } from '../errors/index.ts';
import { OnnxGraphBuilder } from './graph_builder.ts';
import { onnxType } from './proto.ts';

function seeded(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31 - 0.5;
  });
}

/** A small CIFAR-style CNN over NHWC input: every op the builder offers. */
function smallCnn(): Uint8Array {
  const g = new OnnxGraphBuilder({ name: 'cnn' });
  const x = g.input('image', 'float32', ['N', 8, 8, 3]);
  const nchw = g.transpose(x, [0, 3, 1, 2]);
  const w = g.initializer('conv_w', seeded(4 * 3 * 3 * 3, 1), [4, 3, 3, 3]);
  const b = g.initializer('conv_b', seeded(4, 2), [4]);
  const conv = g.conv(nchw, w, b, { kernelShape: [3, 3], pads: [1, 1, 1, 1] });
  const bn = g.batchNormalization(
    conv,
    g.initializer('bn_scale', new Float32Array(4).fill(1), [4]),
    g.initializer('bn_bias', new Float32Array(4).fill(0.1), [4]),
    g.initializer('bn_mean', new Float32Array(4), [4]),
    g.initializer('bn_var', new Float32Array(4).fill(1), [4]),
    { epsilon: 1e-5 },
  );
  const skip = g.add(g.relu(bn), conv);
  const pooled = g.maxPool(skip, { kernelShape: [2, 2], strides: [2, 2] });
  const flat = g.flatten(g.globalAveragePool(pooled), { axis: 1 });
  const logits = g.gemm(
    flat,
    g.initializer('fc_w', seeded(4 * 10, 3), [4, 10]),
    g.initializer('fc_b', seeded(10, 4), [10]),
  );
  g.softmax(logits, { axis: 1 }, 'probs');
  g.output('probs', 'float32', ['N', 10]);
  return g.toBytes();
}

describe('onnx - graph builder', () => {
  it('writes a model that decodes back with the nodes, initializers and opset given', () => {
    const model = onnxType('ModelProto').toObject(onnxType('ModelProto').decode(smallCnn()), {
      longs: Number,
    }) as {
      irVersion: number;
      opsetImport: { version: number }[];
      graph: {
        node: { opType: string }[];
        initializer: { name: string; dims: number[] }[];
        input: { name: string }[];
      };
    };
    expect(model.irVersion).toBe(8);
    expect(model.opsetImport[0].version).toBe(13);
    expect(model.graph.node.map((n) => n.opType)).toEqual([
      'Transpose',
      'Conv',
      'BatchNormalization',
      'Relu',
      'Add',
      'MaxPool',
      'GlobalAveragePool',
      'Flatten',
      'Gemm',
      'Softmax',
    ]);
    expect(model.graph.initializer.find((i) => i.name === 'conv_w')?.dims).toEqual([4, 3, 3, 3]);
    expect(model.graph.input.map((i) => i.name)).toEqual(['image']);
  });

  it('produces a model onnxruntime runs: a batch of HWC images to class probabilities', async () => {
    const session = await InferenceSession.create(smallCnn());
    const out = await session.run({ image: new Tensor('float32', seeded(2 * 8 * 8 * 3, 9), [2, 8, 8, 3]) });
    expect(out.probs.dims).toEqual([2, 10]);
    const probs = out.probs.data as Float32Array;
    expect(probs.slice(0, 10).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(probs.slice(10).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    await session.release();
  });

  it('rejects undefined inputs, reused names and bad initializer sizes', () => {
    const g = new OnnxGraphBuilder();
    g.input('x', 'float32', [1, 2]);
    expect(() => g.relu('y')).toThrow(OnnxError);
    expect(() => g.input('x', 'float32', [1])).toThrow(/already used/);
    expect(() => g.initializer('w', new Float32Array(3), [2, 2])).toThrow(/need 4 values, got 3/);
    expect(() => new OnnxGraphBuilder().toBytes()).toThrow(/no outputs/);
  });
});
