/**
 * Training throughput on the tfjs wasm backend with Manta's training kernels and gradients
 * (packages/train/src/tfjs/wasm-kernels, wasm-gradients): `cnn_train_wasm` is training samples/s of the demo
 * ResNet (examples/cifar buildCifarModel, batch 64, one process), against the forward-only
 * samples/s of the same model in the same run (`cnn_inference_wasm`). A training step costs
 * about three forward passes of conv work plus batch norm's backward, so a ratio near 0.33 is
 * the ceiling; the target is >= 0.25.
 *
 * Training and inference repetitions alternate, so that load from other processes falls on
 * both alike.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { init, shutdown } from '@manta/core';
import { DataParallelTrainer, selectBackend } from '@manta/train';
import * as tf from '@tensorflow/tfjs';
import { buildCifarModel } from '../../../examples/cifar/src/model.ts';
import { throughputLoop } from '../fixtures/train.ts';
import { type BenchContext, median } from '../harness.ts';

const BATCH = 64;

export async function run(ctx: BenchContext): Promise<void> {
  // MANTA_BENCH_TRAIN_ONLY=cnn: the CNN figures alone; =trainer: the trainer figures alone.
  const only = process.env.MANTA_BENCH_TRAIN_ONLY;
  if (only !== 'trainer') await cnnFigures(ctx);
  if (only !== 'cnn') await trainerFigures(ctx);
}

async function cnnFigures(ctx: BenchContext): Promise<void> {
  const backend = await selectBackend({ backend: 'wasm' });
  const repetitions = ctx.quick ? 5 : 9;
  const stepsPerRepetition = ctx.quick ? 1 : 3;
  const model = buildCifarModel({ seed: 1 });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  const x = tf.randomUniform([BATCH, 32, 32, 3], 0, 1, 'float32', 7);
  const y = tf.oneHot(tf.randomUniform([BATCH], 0, 10, 'int32', 8) as tf.Tensor1D, 10);

  const trainStep = async () => {
    await model.trainOnBatch(x, y);
  };
  const inferStep = async () => {
    const out = model.predict(x) as tf.Tensor;
    await out.data();
    out.dispose();
  };
  // Wall-clock samples/s is the figure; samples per CPU-second (this process) go in params,
  // as they hold steadier than wall time when other processes share the cores.
  const cpuRates: Record<'train' | 'infer', number[]> = { train: [], infer: [] };
  const timed = async (step: () => Promise<void>, kind: 'train' | 'infer') => {
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    for (let i = 0; i < stepsPerRepetition; i++) await step();
    const cpu = process.cpuUsage(cpuStart);
    cpuRates[kind].push((stepsPerRepetition * BATCH) / ((cpu.user + cpu.system) / 1e6));
    return (stepsPerRepetition * BATCH) / ((performance.now() - start) / 1000);
  };

  await trainStep(); // warm-up: optimizer slots, XNNPACK operators, kernel JIT
  await inferStep();
  const train: number[] = [];
  const infer: number[] = [];
  for (let i = 0; i < repetitions; i++) {
    infer.push(await timed(inferStep, 'infer'));
    train.push(await timed(trainStep, 'train'));
  }
  const tensorsLeft = tf.memory().numTensors;
  const parameters = model.countParams();
  x.dispose();
  y.dispose();
  model.dispose();

  const params = {
    backend,
    batch: BATCH,
    model: 'buildCifarModel()',
    parameters,
    repetitions,
    stepsPerRepetition,
    optimizer: 'adam',
    trainSamplesPerCpuSecond: Math.round(median(cpuRates.train) * 10) / 10,
    inferenceSamplesPerCpuSecond: Math.round(median(cpuRates.infer) * 10) / 10,
  };
  const inference = median(infer);
  ctx.emit({ name: 'cnn_inference_wasm', unit: 'samples/s', value: inference, baseline: null, params });
  ctx.emit({
    name: 'cnn_train_wasm',
    unit: 'samples/s',
    value: median(train),
    baseline: { name: 'cnn_inference_wasm', value: inference },
    params,
  });
  ctx.log(`  (tensors alive at the end of the timed loop: ${tensorsLeft})`);
}

/**
 * Overhead and scaling of DataParallelTrainer on an MLP (wasm, batch 256 per worker): samples/s
 * in the training loop with 1 worker vs the same steps in a plain single-process loop, and 2
 * workers vs 1, with the time each step spends in all-reduce. Two plain loops at once, free
 * running and in lockstep, give the ceilings that 2-worker figure is read against.
 */
async function trainerFigures(ctx: BenchContext): Promise<void> {
  const steps = ctx.quick ? 30 : 80;
  const config = { steps, batch: 256, warmup: 5 };
  const plain: number[] = [];
  const twoPlain: number[] = [];
  const twoLockstep: number[] = [];
  await init({ numCpus: 2, logToDriver: false });
  try {
    const fit = async (numWorkers: number) => {
      const result = await new DataParallelTrainer(throughputLoop, {
        trainLoopConfig: config,
        scalingConfig: { numWorkers, backend: 'wasm' },
        runConfig: {
          name: `bench-${numWorkers}-${Date.now()}`,
          storagePath: '/tmp/manta-bench-runs',
          verbose: false,
        },
      }).fit();
      return result.metrics as { samplesPerSecond: number; allReduceMsPerStep: number };
    };
    const one: number[] = [];
    const two: number[] = [];
    const reduceMs: number[] = [];
    // Every kind of run takes its turn in each round, so a slow spell of this shared machine
    // falls on all of them alike.
    for (let i = 0; i < (ctx.quick ? 1 : 5); i++) {
      // In a child process like the workers: a loop here would block this process's event loop,
      // and with it the embedded cluster's heartbeats.
      plain.push(await concurrentPlainLoops(1, config));
      if (i < 3) {
        twoPlain.push(await concurrentPlainLoops(2, config));
        twoLockstep.push(await concurrentPlainLoops(2, config, true));
      }
      one.push((await fit(1)).samplesPerSecond);
      const m = await fit(2);
      two.push(m.samplesPerSecond);
      reduceMs.push(m.allReduceMsPerStep);
    }
    const params = { model: 'mlp 784-512-256-10', batchPerWorker: config.batch, steps, backend: 'wasm' };
    const oneWorker = median(one);
    // Each run over its counterpart of the same round: less exposed to slow drifts of the machine.
    const paired = (runs: number[], against: number[]) =>
      runs.map((v, i) => Math.round((v / against[i]) * 1000) / 1000);
    ctx.emit({
      name: 'fit_1_worker',
      unit: 'samples/s',
      value: oneWorker,
      baseline: { name: 'plain_tfjs_loop', value: median(plain) },
      params: { ...params, pairedRatios: paired(one, plain) },
    });
    ctx.emit({
      name: 'fit_2_workers',
      unit: 'samples/s',
      value: median(two),
      baseline: { name: 'fit_1_worker', value: oneWorker },
      params: { ...params, pairedRatios: paired(two, one) },
    });
    ctx.emit({
      name: 'plain_2_processes',
      unit: 'samples/s',
      value: median(twoPlain),
      baseline: { name: 'plain_tfjs_loop', value: median(plain) },
      params: {
        ...params,
        note: 'two independent plain loops at once: the ceiling of 2-worker scaling here',
      },
    });
    ctx.emit({
      name: 'plain_2_lockstep',
      unit: 'samples/s',
      value: median(twoLockstep),
      baseline: { name: 'plain_tfjs_loop', value: median(plain) },
      params: {
        ...params,
        note: 'two plain loops with a barrier after every step and nothing exchanged: the ceiling of synchronous 2-worker training here, where each step waits for the slower core',
      },
    });
    ctx.emit({
      name: 'fit_2_workers_vs_lockstep',
      unit: 'samples/s',
      value: median(two),
      baseline: { name: 'plain_2_lockstep', value: median(twoLockstep) },
      params: { ...params, note: "what Manta's all-reduce and runtime cost against that ceiling" },
    });
    ctx.emit({
      name: 'allreduce_ms_per_step_2_workers',
      unit: 'ms',
      value: median(reduceMs),
      lowerIsBetter: true,
      baseline: null,
      params,
    });
  } finally {
    await shutdown();
  }
}

/**
 * Samples/s of `count` plain loops (no Manta, no communication) running at once in separate
 * processes, started together once all have loaded: what the machine itself gives parallel
 * workers, so the 2-worker scaling figure can be read against it. With `lockstep`, a barrier
 * after every step (relayed by this process, no data): the ceiling of synchronous training,
 * where every step waits for the slowest process.
 */
async function concurrentPlainLoops(count: number, config: object, lockstep = false): Promise<number> {
  const script = fileURLToPath(new URL('../peers/plain-mlp.ts', import.meta.url));
  const peers = Array.from({ length: count }, () => {
    const proc = spawn(process.execPath, ['--import', 'tsx', script], {
      env: {
        ...process.env,
        BENCH_MLP_CONFIG: JSON.stringify(config),
        BENCH_MLP_LOCKSTEP: lockstep ? '1' : '0',
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    return { proc, lines: createInterface({ input: proc.stdout! })[Symbol.asyncIterator]() };
  });
  const nextLines = () =>
    Promise.all(
      peers.map(async (peer) => {
        const line = await peer.lines.next();
        if (line.done) throw new Error('plain loop peer exited early');
        return line.value;
      }),
    );
  try {
    const ready = await nextLines();
    if (ready.some((line) => line !== 'ready')) throw new Error(`plain loop peer did not start: ${ready}`);
    for (const peer of peers) peer.proc.stdin!.write('go\n');
    let lines = await nextLines();
    while (lines.every((line) => line === 'step')) {
      for (const peer of peers) peer.proc.stdin!.write('go\n');
      lines = await nextLines();
    }
    const rates = lines.map((line) => (JSON.parse(line) as { samplesPerSecond: number }).samplesPerSecond);
    return rates.reduce((a, b) => a + b, 0);
  } finally {
    for (const peer of peers) {
      peer.proc.stdin!.end();
      if (peer.proc.exitCode === null) await once(peer.proc, 'exit');
    }
  }
}
