/**
 * Manta in one file: parallel remote tasks and a stateful actor on the embedded local cluster.
 *   npx tsx examples/quickstart/src/main.ts
 * Remote functions and actors are declared at the top level with import.meta.url so worker
 * processes can import this module; `isMainModule` keeps them from re-running main().
 */
import { actor, get, init, isMainModule, put, remote, shutdown } from '@manta/core';

/** Estimates pi from `samples` random points (runs in a worker process). */
export const estimatePi = remote(import.meta.url, (samples: number) => {
  let inside = 0;
  for (let i = 0; i < samples; i++) {
    const x = Math.random();
    const y = Math.random();
    if (x * x + y * y <= 1) inside++;
  }
  return { inside, samples, pid: process.pid };
});

/** A running mean kept in its own process. */
export const Accumulator = actor(
  import.meta.url,
  class Accumulator {
    private sum = 0;
    private count = 0;
    add(value: number) {
      this.sum += value;
      this.count++;
      return this.sum / this.count;
    }
  },
);

export const sum = remote(import.meta.url, (values: Float32Array) => values.reduce((a, b) => a + b, 0));

async function main(): Promise<void> {
  const { address } = await init();
  console.log(`embedded cluster at ${address}`);
  const started = Date.now();
  const parts = await get(Array.from({ length: 8 }, () => estimatePi.remote(2_000_000)));
  const inside = parts.reduce((a, p) => a + p.inside, 0);
  const samples = parts.reduce((a, p) => a + p.samples, 0);
  console.log(
    `pi ≈ ${((4 * inside) / samples).toFixed(5)} from 8 tasks on ${new Set(parts.map((p) => p.pid)).size} workers in ${Date.now() - started} ms`,
  );

  const mean = await Accumulator.remote();
  let last = 0;
  for (const p of parts) last = await get(mean.add.remote((4 * p.inside) / p.samples));
  console.log(`running mean kept by an actor: ${last.toFixed(5)}`);

  const big = put(new Float32Array(4_000_000).fill(0.25));
  console.log(
    `sum of a 16 MB array passed by reference: ${await get(sum.remote(big as unknown as Float32Array))}`,
  );
  await shutdown();
}

if (isMainModule(import.meta.url)) await main();
