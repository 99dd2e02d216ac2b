import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { fromArrays } from '../dataset/index.ts';
import { OnnxError } from '../errors/index.ts';
import { OnnxGraphBuilder } from '../onnx/index.ts';
import { OnnxPredictor } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'manta-onnx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const IN = 6;
const OUT = 4;

/** y = relu(x W + b): a Gemm + Relu graph. */
function gemmRelu(): Uint8Array {
  const g = new OnnxGraphBuilder({ name: 'gemm_relu' });
  const x = g.input('x', 'float32', ['N', IN]);
  const w = g.initializer(
    'W',
    Float32Array.from({ length: IN * OUT }, (_, i) => ((i * 7) % 11) / 5 - 1),
    [IN, OUT],
  );
  const b = g.initializer(
    'b',
    Float32Array.from({ length: OUT }, (_, i) => i / 10 - 0.1),
    [OUT],
  );
  g.relu(g.gemm(x, w, b), 'y');
  g.output('y', 'float32', ['N', OUT]);
  return g.toBytes();
}

describe('predictor - OnnxPredictor', () => {
  it('gives the same outputs through mapBatches as a direct session.run', async () => {
    const path = join(dir, 'gemm_relu.onnx');
    writeFileSync(path, gemmRelu());
    const n = 103;
    const features = Float32Array.from({ length: n * IN }, (_, i) => Math.sin(i));
    const ds = fromArrays(
      { id: Int32Array.from({ length: n }, (_, i) => i), features: { data: features, shape: [n, IN] } },
      { blockRows: 20 },
    );
    const predicted = await ds
      .mapBatches(OnnxPredictor, {
        constructorArgs: [{ model: path, inputs: { x: 'features' }, outputs: { y: 'scores' } }],
        batchSize: 16,
        batchFormat: 'tensor',
        concurrency: 2,
      })
      .takeAll();

    const session = await InferenceSession.create(path);
    const direct = (await session.run({ x: new Tensor('float32', features, [n, IN]) })).y
      .data as Float32Array;
    await session.release();

    expect(predicted.map((r) => r.id)).toEqual(Array.from({ length: n }, (_, i) => i));
    const got = new Float32Array(predicted.flatMap((r) => Array.from(r.scores as Float32Array)));
    expect(got).toEqual(direct);
    expect(direct.some((v) => v === 0) && direct.some((v) => v > 0)).toBe(true); // the Relu did something
    expect(Array.from(predicted[5].features as Float32Array)).toEqual(Array.from(features.subarray(30, 36)));
  });

  it('creates one session per instance and reuses it across batches', async () => {
    const predictor = new OnnxPredictor({ model: gemmRelu(), keepColumns: false });
    const batch = { x: { data: new Float32Array(2 * IN).fill(1), shape: [2, IN] } };
    const first = await predictor.getSession();
    const out = (await predictor.call(batch)) as Record<string, { shape: number[] }>;
    expect(Object.keys(out)).toEqual(['y']);
    expect(out.y.shape).toEqual([2, OUT]);
    await predictor.call(batch);
    expect(await predictor.getSession()).toBe(first);
    await predictor.dispose();
  });

  it('names the missing column and the model inputs', async () => {
    const predictor = new OnnxPredictor({ model: gemmRelu() });
    await expect(predictor.call({ other: new Float32Array(IN) })).rejects.toThrow(OnnxError);
    await expect(predictor.call({ other: new Float32Array(IN) })).rejects.toThrow(
      /input "x" needs batch column "x"; the batch has \[other\]/,
    );
    await predictor.dispose();
  });

  it('reports an unloadable model with its path', async () => {
    const predictor = new OnnxPredictor({ model: join(dir, 'missing.onnx') });
    await expect(predictor.getSession()).rejects.toThrow(
      /cannot load ONNX model .*missing\.onnx with providers \[cpu\]/,
    );
  });
});
