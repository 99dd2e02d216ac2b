/**
 * Core runtime benchmarks, each against raw NATS measured in the same run with a peer process:
 * task round-trip latency, task and actor-call throughput with 100+ in flight, and put+get of a
 * 64 MB Float32Array from another process.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { get, init, put, shutdown } from '@manta/core';
import { embeddedCluster } from '@manta/core/internal';
import { connect, type NatsConnection } from 'nats';
import { byteLength, Echo, noop } from '../fixtures/core.ts';
import { type BenchContext, median, repeat } from '../harness.ts';
import { multinodeFigures } from '../multinode.ts';

type EchoHandle = Awaited<ReturnType<typeof Echo.remote>>;

export async function run(ctx: BenchContext): Promise<void> {
  const quick = ctx.quick;
  await init({ logToDriver: false });
  const cluster = embeddedCluster()!;
  const peer = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('../peers/nats-peer.ts', import.meta.url))],
    {
      env: { ...process.env, BENCH_NATS_URL: cluster.address, BENCH_NATS_TOKEN: cluster.token },
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve) => peer.stdout!.once('data', () => resolve()));
  const nc = await connect({ servers: cluster.address, token: cluster.token });
  // One echo actor for every phase: it holds one CPU, the other CPUs run the tasks.
  const echo = await Echo.remote();
  try {
    await latency(ctx, nc, echo, quick ? 200 : 1000);
    await throughput(ctx, nc, echo, quick ? 2000 : 10_000, 200);
    await bulk(ctx, nc, quick ? 3 : 5);
  } finally {
    await nc.close();
    peer.stdin!.end();
    await shutdown();
  }
  await multinodeFigures(ctx);
}

async function latency(ctx: BenchContext, nc: NatsConnection, echo: EchoHandle, n: number): Promise<void> {
  const payload = new Uint8Array(16);
  // Repetitions interleave raw, task and actor runs so that load from elsewhere hits all alike.
  const rawRuns: number[] = [];
  const taskRuns: number[] = [];
  const actorRuns: number[] = [];
  const time = async (runs: number[], op: (i: number) => Promise<unknown>, keep: boolean) => {
    const started = performance.now();
    for (let i = 0; i < n; i++) await op(i);
    if (keep) runs.push(performance.now() - started);
  };
  for (let rep = 0; rep <= 7; rep++) {
    await time(rawRuns, () => nc.request('bench.echo', payload), rep > 0);
    await time(taskRuns, (i) => get(noop.remote(i)), rep > 0);
    await time(actorRuns, (i) => get(echo.ping.remote(i)), rep > 0);
  }
  const raw = (median(rawRuns) / n) * 1000;
  const baseline = { name: 'nats_request_reply_latency', value: raw };
  ctx.emit({
    name: 'task_roundtrip_latency',
    unit: 'us',
    value: (median(taskRuns) / n) * 1000,
    lowerIsBetter: true,
    baseline,
    params: { calls: n, inflight: 1 },
  });
  ctx.emit({
    name: 'actor_call_latency',
    unit: 'us',
    value: (median(actorRuns) / n) * 1000,
    lowerIsBetter: true,
    baseline,
    params: { calls: n, inflight: 1 },
  });
}

/** Runs `total` operations keeping `inflight` outstanding; returns operations per second. */
async function pipelined(
  total: number,
  inflight: number,
  op: (i: number) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: inflight }, async () => {
      while (next < total) await op(next++);
    }),
  );
  return total / ((performance.now() - start) / 1000);
}

async function throughput(
  ctx: BenchContext,
  nc: NatsConnection,
  echo: EchoHandle,
  n: number,
  inflight: number,
): Promise<void> {
  const payload = new Uint8Array(16);
  const rates = { raw: [] as number[], task: [] as number[], actor: [] as number[] };
  for (let rep = 0; rep < 6; rep++) {
    const raw = await pipelined(n, inflight, () => nc.request('bench.echo', payload));
    const task = await pipelined(n, inflight, (i) => get(noop.remote(i)));
    const act = await pipelined(n, inflight, (i) => get(echo.ping.remote(i)));
    if (rep === 0) continue; // warm-up
    rates.raw.push(raw);
    rates.task.push(task);
    rates.actor.push(act);
  }
  const baseline = { name: 'nats_request_pipelined', value: median(rates.raw) };
  ctx.emit({
    name: 'task_throughput',
    unit: 'tasks/s',
    value: median(rates.task),
    baseline,
    params: { tasks: n, inflight },
  });
  ctx.emit({
    name: 'actor_calls_async',
    unit: 'calls/s',
    value: median(rates.actor),
    baseline,
    params: { calls: n, inflight },
  });
}

async function bulk(ctx: BenchContext, nc: NatsConnection, repetitions: number): Promise<void> {
  const values = new Float32Array(16 * 1024 * 1024);
  for (let i = 0; i < values.length; i++) values[i] = i;
  const bytes = new Uint8Array(values.buffer);
  const chunk = (nc.info?.max_payload ?? 1 << 20) - 4096;
  const rawRuns = await repeat(async () => {
    await nc.request('bench.sink.expect', new TextEncoder().encode(String(bytes.byteLength)));
    for (let offset = 0; offset + chunk < bytes.byteLength; offset += chunk)
      nc.publish('bench.sink', bytes.subarray(offset, offset + chunk));
    const last = Math.floor((bytes.byteLength - 1) / chunk) * chunk;
    await nc.request('bench.sink', bytes.subarray(last), { timeout: 60_000 });
  }, repetitions);
  const mantaRuns = await repeat(async () => {
    const ref = put(values);
    const length = await get(byteLength.remote(ref as unknown as Float32Array));
    if (length !== bytes.byteLength) throw new Error(`worker saw ${length} bytes`);
  }, repetitions);
  const mb = bytes.byteLength / 1e6;
  ctx.emit({
    name: 'put_get_64mb_other_process',
    unit: 'MB/s',
    value: mb / (median(mantaRuns) / 1000),
    baseline: { name: 'nats_raw_transfer_64mb', value: mb / (median(rawRuns) / 1000) },
    params: { bytes: bytes.byteLength },
  });
}
