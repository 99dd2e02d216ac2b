/**
 * One plain single-process tfjs loop (the train benchmarks' baseline) in its own process: loads
 * the wasm backend, prints `ready`, waits for a line on stdin, runs the steps and prints their
 * samples/s. Two of these at once measure what this machine gives two independent processes,
 * the ceiling of 2-worker scaling.
 *
 * With BENCH_MLP_LOCKSTEP=1 the loop prints `step` after each step and waits for a line before
 * the next: the parent releases all peers once every one has finished the step, a barrier with
 * no data, so the peers run as synchronous data-parallel workers would with free communication.
 */
import { createInterface } from 'node:readline';
import { selectBackend } from '@manta/train';
import { mlpSteps } from '../fixtures/train.ts';

const config = JSON.parse(process.env.BENCH_MLP_CONFIG ?? '{}') as {
  steps: number;
  batch: number;
  warmup: number;
};
const lockstep = process.env.BENCH_MLP_LOCKSTEP === '1';
await selectBackend({ backend: 'wasm' });
const input = createInterface({ input: process.stdin });
const lines = input[Symbol.asyncIterator]();
process.stdout.write('ready\n');
if (!(await lines.next()).done) {
  const barrier = async () => {
    process.stdout.write('step\n');
    await lines.next();
  };
  const { samplesPerSecond } = await mlpSteps(config, lockstep ? barrier : undefined);
  process.stdout.write(`${JSON.stringify({ samplesPerSecond })}\n`);
}
input.close();
