/**
 * Exports the demo's tfjs model to ONNX: the layers it uses (Conv2D, BatchNormalization, ReLU,
 * Add, GlobalAveragePooling2D, Dense with softmax), as Conv, BatchNormalization, Relu, Add,
 * GlobalAveragePool + Flatten, Gemm and Softmax. The ONNX model takes NHWC float32 images
 * (named `image`, like the tfjs model) and transposes them to NCHW first; its output is `probs`.
 */
import { OnnxGraphBuilder } from '@manta/data';
import type * as tf from '@tensorflow/tfjs';

type Layer = tf.layers.Layer & { getConfig(): Record<string, unknown> };

function inboundNames(layer: Layer): string[] {
  const nodes = (layer as unknown as { inboundNodes: { inboundLayers: { name: string }[] }[] }).inboundNodes;
  return nodes[0]?.inboundLayers.map((l) => l.name) ?? [];
}

/** tfjs 'same' padding as explicit ONNX pads [top, left, bottom, right]. */
function samePads(size: number, kernel: number, stride: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

function nhwcToNchwKernel(kernel: tf.Tensor): Float32Array {
  const [kh, kw, cin, cout] = kernel.shape;
  const src = kernel.dataSync() as Float32Array;
  const out = new Float32Array(src.length);
  for (let h = 0; h < kh; h++)
    for (let w = 0; w < kw; w++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++)
          out[((o * cin + i) * kh + h) * kw + w] = src[((h * kw + w) * cin + i) * cout + o];
  return out;
}

export function exportToOnnx(model: tf.LayersModel): Uint8Array {
  const graph = new OnnxGraphBuilder({ producerName: 'manta-cifar' });
  const tensorOf = new Map<string, string>();
  const input = graph.input('image', 'float32', ['N', 32, 32, 3]);
  for (const layer of model.layers as Layer[]) {
    const className = layer.getClassName();
    const name = layer.name;
    const inputs = inboundNames(layer).map((n) => tensorOf.get(n)!);
    const weights = layer.getWeights();
    switch (className) {
      case 'InputLayer':
        tensorOf.set(name, graph.transpose(input, [0, 3, 1, 2], `${name}_nchw`));
        break;
      case 'Conv2D': {
        const config = layer.getConfig() as {
          kernelSize: number[];
          strides: number[];
          padding: string;
          useBias: boolean;
        };
        const [kh, kw] = config.kernelSize;
        const [sh, sw] = config.strides;
        const [, height, width] = (layer.input as tf.SymbolicTensor).shape as number[];
        const [top, bottom] = config.padding === 'same' ? samePads(height, kh, sh) : [0, 0];
        const [left, right] = config.padding === 'same' ? samePads(width, kw, sw) : [0, 0];
        const [, , cin, cout] = weights[0].shape;
        const w = graph.initializer(`${name}_W`, nhwcToNchwKernel(weights[0]), [cout, cin, kh, kw]);
        const b = config.useBias
          ? graph.initializer(`${name}_B`, weights[1].dataSync() as Float32Array, [cout])
          : undefined;
        tensorOf.set(
          name,
          graph.conv(
            inputs[0],
            w,
            b,
            { kernelShape: [kh, kw], strides: [sh, sw], pads: [top, left, bottom, right] },
            name,
          ),
        );
        break;
      }
      case 'BatchNormalization': {
        const config = layer.getConfig() as { epsilon: number };
        const [gamma, beta, mean, variance] = weights.map((t, i) =>
          graph.initializer(
            `${name}_${['scale', 'bias', 'mean', 'var'][i]}`,
            t.dataSync() as Float32Array,
            t.shape,
          ),
        );
        tensorOf.set(
          name,
          graph.batchNormalization(inputs[0], gamma, beta, mean, variance, { epsilon: config.epsilon }, name),
        );
        break;
      }
      case 'ReLU':
        tensorOf.set(name, graph.relu(inputs[0], name));
        break;
      case 'Add':
        tensorOf.set(name, graph.add(inputs[0], inputs[1], name));
        break;
      case 'GlobalAveragePooling2D':
        tensorOf.set(
          name,
          graph.flatten(graph.globalAveragePool(inputs[0], `${name}_pool`), { axis: 1 }, name),
        );
        break;
      case 'Dense': {
        const config = layer.getConfig() as { activation: string; useBias: boolean };
        const [inDim, outDim] = weights[0].shape;
        const w = graph.initializer(`${name}_W`, weights[0].dataSync() as Float32Array, [inDim, outDim]);
        const b = config.useBias
          ? graph.initializer(`${name}_B`, weights[1].dataSync() as Float32Array, [outDim])
          : undefined;
        const logits = graph.gemm(
          inputs[0],
          w,
          b,
          {},
          config.activation === 'softmax' ? `${name}_logits` : name,
        );
        tensorOf.set(
          name,
          config.activation === 'softmax' ? graph.softmax(logits, { axis: 1 }, name) : logits,
        );
        break;
      }
      default:
        throw new Error(`exportToOnnx: layer ${name} of type ${className} is not supported`);
    }
  }
  const last = model.layers[model.layers.length - 1].name;
  graph.node('Identity', [tensorOf.get(last)!], {}, { outputs: ['probs'] });
  graph.output('probs', 'float32', ['N', 10]);
  return graph.toBytes();
}
