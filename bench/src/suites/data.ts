/**
 * Data benchmarks: iterBatches throughput over a generated CIFAR-format binary file against
 * reading and decoding the same file directly in one process; ONNX batch inference through
 * mapBatches with a pool of 2 predictors against a plain loop calling session.run.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromArrays, OnnxGraphBuilder, OnnxPredictor, readCifar10 } from '@manta/data';
import * as ort from 'onnxruntime-node';
import { type BenchContext, median } from '../harness.ts';

const RECORD = 3073;

export async function run(ctx: BenchContext): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'manta-bench-data-'));
  try {
    await readers(ctx, dir, ctx.quick ? 5000 : 20_000, ctx.quick ? 3 : 5);
    await inference(ctx, dir, ctx.quick ? 4096 : 16_384, ctx.quick ? 3 : 5);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function readers(ctx: BenchContext, dir: string, records: number, reps: number): Promise<void> {
  const file = join(dir, 'data_batch_1.bin');
  const bytes = new Uint8Array(records * RECORD);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) & 255;
  writeFileSync(file, bytes);
  const direct = async () => {
    // The underlying reader: the whole file, decoded to float32 HWC, batched by hand.
    const raw = readFileSync(file);
    let rows = 0;
    for (let start = 0; start < records; start += 256) {
      const n = Math.min(256, records - start);
      const images = new Float32Array(n * 3072);
      for (let r = 0; r < n; r++) {
        const base = (start + r) * RECORD;
        for (let p = 0; p < 1024; p++) {
          images[r * 3072 + p * 3] = raw[base + 1 + p] / 255;
          images[r * 3072 + p * 3 + 1] = raw[base + 1025 + p] / 255;
          images[r * 3072 + p * 3 + 2] = raw[base + 2049 + p] / 255;
        }
      }
      rows += n;
    }
    return rows;
  };
  const viaDataset = async () => {
    let rows = 0;
    for await (const batch of readCifar10(file, { imageFormat: 'float32' }).iterBatches({ batchSize: 256 })) {
      rows += (batch.label as Int32Array).length;
    }
    return rows;
  };
  const rates = { direct: [] as number[], dataset: [] as number[] };
  for (let rep = 0; rep <= reps; rep++) {
    for (const [kind, fn] of [
      ['direct', direct],
      ['dataset', viaDataset],
    ] as const) {
      const started = performance.now();
      const rows = await fn();
      if (rows !== records) throw new Error(`${kind} read ${rows} of ${records} rows`);
      if (rep > 0) rates[kind].push(rows / ((performance.now() - started) / 1000));
    }
  }
  ctx.emit({
    name: 'iter_batches_cifar_binary',
    unit: 'rows/s',
    value: median(rates.dataset),
    baseline: { name: 'direct_read_decode', value: median(rates.direct) },
    params: { records, batchSize: 256, workers: 1, executor: 'local streaming' },
  });
}

function mlpModel(): Uint8Array {
  const graph = new OnnxGraphBuilder();
  const x = graph.input('x', 'float32', ['N', 3072]);
  const w1 = graph.initializer(
    'w1',
    Float32Array.from({ length: 3072 * 256 }, (_, i) => Math.sin(i) * 0.02),
    [3072, 256],
  );
  const b1 = graph.initializer('b1', new Float32Array(256), [256]);
  const w2 = graph.initializer(
    'w2',
    Float32Array.from({ length: 256 * 10 }, (_, i) => Math.cos(i) * 0.05),
    [256, 10],
  );
  const h = graph.relu(graph.gemm(x, w1, b1));
  graph.gemm(h, w2, undefined, {}, 'y');
  graph.output('y', 'float32', ['N', 10]);
  return graph.toBytes();
}

async function inference(ctx: BenchContext, dir: string, rows: number, reps: number): Promise<void> {
  const modelPath = join(dir, 'mlp.onnx');
  writeFileSync(modelPath, mlpModel());
  const data = Float32Array.from({ length: rows * 3072 }, (_, i) => (i % 255) / 255);
  const sessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 };
  const session = await ort.InferenceSession.create(modelPath, sessionOptions);
  const plain = async () => {
    for (let start = 0; start < rows; start += 256) {
      const n = Math.min(256, rows - start);
      await session.run({
        x: new ort.Tensor('float32', data.subarray(start * 3072, (start + n) * 3072), [n, 3072]),
      });
    }
  };
  const pooled = async () => {
    const ds = fromArrays({ x: { data, shape: [rows, 3072] } }).mapBatches(OnnxPredictor, {
      constructorArgs: [{ model: modelPath, sessionOptions, keepColumns: false }],
      batchFormat: 'tensor',
      batchSize: 256,
      concurrency: 2,
    });
    let seen = 0;
    for await (const batch of ds.iterBatches({ batchSize: 1024 }))
      seen += (batch.y as unknown as { shape: number[] }).shape[0];
    if (seen !== rows) throw new Error(`pool returned ${seen} of ${rows} rows`);
  };
  const rates = { plain: [] as number[], pooled: [] as number[] };
  for (let rep = 0; rep <= reps; rep++) {
    for (const [kind, fn] of [
      ['plain', plain],
      ['pooled', pooled],
    ] as const) {
      const started = performance.now();
      await fn();
      if (rep > 0) rates[kind].push(rows / ((performance.now() - started) / 1000));
    }
  }
  await session.release();
  ctx.emit({
    name: 'onnx_map_batches_pool2',
    unit: 'rows/s',
    value: median(rates.pooled),
    baseline: { name: 'onnx_session_run_loop', value: median(rates.plain) },
    params: {
      rows,
      batchSize: 256,
      pool: 2,
      model: 'mlp 3072-256-10',
      threadsPerSession: 1,
      executor: 'local streaming (in-process pool)',
    },
  });
}
