/**
 * One plain single-process tfjs loop (the train benchmarks' baseline) in its own process: loads
 * the wasm backend, prints `ready`, waits for a line on stdin, runs the steps and prints their
 * samples/s. Two of these at once measure what this machine gives two independent processes,
 * the ceiling of 2-worker scaling.
 */
import { createInterface } from 'node:readline';
import { selectBackend } from '@manta/train';
import { mlpSteps } from '../fixtures/train.ts';

const config = JSON.parse(process.env.BENCH_MLP_CONFIG ?? '{}') as {
  steps: number;
  batch: number;
  warmup: number;
};
await selectBackend({ backend: 'wasm' });
const input = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
for await (const _go of input) {
  const { samplesPerSecond } = await mlpSteps(config);
  process.stdout.write(`${JSON.stringify({ samplesPerSecond })}\n`);
  break;
}
input.close();
