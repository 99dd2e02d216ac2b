/**
 * Multi-node figures for the core suite: time from `manta start` to a schedulable node,
 * placement-group creation latency (8 bundles over 4 nodes), and throughput of 1,000 tasks
 * over 4 node agents against 1. Each node agent is its own process, started with `manta start`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { clusterStatus, get, init, placementGroup, shutdown } from '@manta/core';
import { noop } from './fixtures/core.ts';
import { type BenchContext, median } from './harness.ts';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../packages/core/bin/manta.mjs', import.meta.url));

export async function multinodeFigures(ctx: BenchContext): Promise<void> {
  const sessions = mkdtempSync(join(tmpdir(), 'manta-bench-nodes-'));
  const env = { ...process.env, MANTA_SESSIONS_DIR: sessions };
  const manta = (...args: string[]) => run(process.execPath, [bin, ...args], { env });
  try {
    const started = performance.now();
    const head = await manta('start', '--head', '--num-cpus', '1');
    const address = /nats:\/\/[\d.:]+/.exec(head.stdout)![0];
    const token = /Token: (\S+)/.exec(head.stdout)![1];
    await init({ address, token });
    await get(noop.remote(1));
    const headReady = performance.now() - started;

    const joinTimes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const before = performance.now();
      await manta('start', '--address', address, '--token', token, '--num-cpus', '1');
      const nodes = i + 2;
      while ((await clusterStatus()).nodes.filter((n) => n.alive).length < nodes)
        await new Promise((r) => setTimeout(r, 10));
      joinTimes.push(performance.now() - before);
    }
    ctx.emit({
      name: 'manta_start_to_schedulable',
      unit: 'ms',
      value: median(joinTimes),
      lowerIsBetter: true,
      baseline: null,
      params: { headToFirstTaskMs: Math.round(headReady), nodes: 4 },
    });

    const pgTimes: number[] = [];
    for (let i = 0; i < (ctx.quick ? 5 : 10); i++) {
      const before = performance.now();
      const group = await placementGroup(
        Array.from({ length: 8 }, () => ({ CPU: 0.5 })),
        { strategy: 'SPREAD' },
      );
      await group.ready();
      pgTimes.push(performance.now() - before);
      await group.remove();
    }
    ctx.emit({
      name: 'placement_group_8_bundles_4_nodes',
      unit: 'ms',
      value: median(pgTimes),
      lowerIsBetter: true,
      baseline: null,
      params: { bundles: 8, nodes: 4, strategy: 'SPREAD' },
    });

    const n = ctx.quick ? 300 : 1000;
    const spread = async () => {
      const before = performance.now();
      await get(Array.from({ length: n }, (_, i) => noop.remote(i)));
      return n / ((performance.now() - before) / 1000);
    };
    await spread(); // warm every node's workers
    const four: number[] = [];
    for (let i = 0; i < 3; i++) four.push(await spread());
    await shutdown();
    await manta('stop');
    await new Promise((r) => setTimeout(r, 1500));

    const single = await manta('start', '--head', '--num-cpus', '4');
    await init({
      address: /nats:\/\/[\d.:]+/.exec(single.stdout)![0],
      token: /Token: (\S+)/.exec(single.stdout)![1],
    });
    await spread();
    const one: number[] = [];
    for (let i = 0; i < 3; i++) one.push(await spread());
    ctx.emit({
      name: 'tasks_over_4_node_agents',
      unit: 'tasks/s',
      value: median(four),
      baseline: { name: 'tasks_over_1_node_agent', value: median(one) },
      params: { tasks: n, cpusInAll: 4 },
    });
  } finally {
    await shutdown().catch(() => undefined);
    await manta('stop').catch(() => undefined);
    rmSync(sessions, { recursive: true, force: true });
  }
}
