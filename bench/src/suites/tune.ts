/**
 * Tune benchmarks: trial throughput on cluster actors against the same work as plain core
 * tasks, result throughput against raw NATS request/reply, and ASHA against FIFO random search.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get, init, shutdown } from '@manta/core';
import { currentRuntime } from '@manta/core/internal';
import {
  ActorTrialExecutor,
  ASHAScheduler,
  FIFOScheduler,
  LocalTrialExecutor,
  loguniform,
  randint,
  type Trainable,
  Tuner,
} from '@manta/tune';
import { chatty, curve, once, onceTask, syntheticCurve } from '../fixtures/tune.ts';
import { type BenchContext, median, repeat } from '../harness.ts';

const CPUS = 2;

/** MANTA_BENCH_TUNE=noop,sleep,results,asha (a comma list) runs only those figures. */
function selected(figure: string): boolean {
  const only = process.env.MANTA_BENCH_TUNE;
  return !only || only.split(',').includes(figure);
}

export async function run(ctx: BenchContext): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'manta-bench-tune-'));
  try {
    if (selected('noop') || selected('sleep')) {
      // Trials and the baseline tasks get the same CPU slots: one per core.
      await init({ numCpus: CPUS, logToDriver: false });
      try {
        // --quick: fewer trials than the issue's 1,000 so that the suite stays near a minute on a
        // loaded 2-core machine (the sizes are in params).
        if (selected('noop')) await trialThroughput(ctx, scratch, 0, ctx.quick ? 100 : 1000);
        // The same on a RAM disk: each trial creates a folder and three files (four inodes), and
        // on a disk that is not free (fileCreateUs in params). This figure is Tune's own bookkeeping.
        if (selected('noop') && existsSync('/dev/shm')) {
          const ramScratch = mkdtempSync('/dev/shm/manta-bench-tune-');
          try {
            await trialThroughput(ctx, ramScratch, 0, ctx.quick ? 100 : 1000, '_tmpfs');
          } finally {
            rmSync(ramScratch, { recursive: true, force: true });
          }
        }
        if (selected('sleep')) await trialThroughput(ctx, scratch, 100, ctx.quick ? 40 : 1000);
      } finally {
        await shutdown();
      }
    }
    if (selected('results')) {
      // 8 concurrent trials need 8 CPU slots: the cluster advertises 8 on this 2-core machine.
      await init({ numCpus: 8, logToDriver: false });
      try {
        await resultThroughput(ctx, scratch, ctx.quick ? 200 : 1000);
      } finally {
        await shutdown();
      }
    }
    if (selected('asha')) await ashaVsFifo(ctx, scratch, ctx.quick ? 27 : 81);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

let sweeps = 0;
let probes = 0;

/**
 * Microseconds to create one inode (a folder, then a file in it) in `dir`, from 100 of each.
 * On this VM's ext4 (mounted without a journal) it swings from ~15 µs to ~500 µs: for some time
 * after many files were deleted (e.g. an earlier run's scratch), the kernel's inode allocator
 * steps over each recently deleted inode with a buffer lookup. The probe is left in place, as
 * deleting it would slow the runs that follow.
 */
function fileCreateMicros(dir: string): number {
  const probe = join(dir, `probe-${probes++}`);
  mkdirSync(probe);
  const start = performance.now();
  for (let i = 0; i < 100; i++) {
    mkdirSync(join(probe, `d${i}`));
    writeFileSync(join(probe, `d${i}`, 'f'), '');
  }
  return ((performance.now() - start) * 1000) / 200;
}

/**
 * Repeated sweeps on one actor executor: the warm-up sweep starts the trial processes, the
 * measured ones reuse them (as the trials of one long sweep do).
 */
async function sweeps_(
  scratch: string,
  trainable: Trainable,
  options: { trials: number; concurrency: number; config: Record<string, unknown> },
): Promise<number[]> {
  const executor = new ActorTrialExecutor(trainable, { idleMs: 30_000 });
  try {
    return await repeat(() =>
      new Tuner(trainable, {
        paramSpace: options.config,
        tuneConfig: { numSamples: options.trials, maxConcurrentTrials: options.concurrency },
        runConfig: { name: `s${sweeps++}`, storagePath: scratch, verbose: 0 },
        executor,
      }).fit(),
    );
  } finally {
    await executor.shutdown();
  }
}

/**
 * Tune trials against the same work as plain core tasks, in rounds: a block of sweeps on one
 * executor (its warm trial processes hold the CPUs, so it is shut down after the block), then a
 * block of task runs; each block starts with a warm-up run. Spreading both over the run makes
 * load from outside the benchmark land on both alike; each figure is the median of its runs.
 */
async function trialThroughput(
  ctx: BenchContext,
  scratch: string,
  sleepMs: number,
  trials: number,
  nameSuffix = '',
) {
  ctx.log(`trials: ${trials} x ${sleepMs} ms in ${scratch}`);
  const tuneRuns: number[] = [];
  const taskRuns: number[] = [];
  const createUs: number[] = [];
  const timed = async (fn: () => Promise<unknown>) => {
    const start = performance.now();
    await fn();
    return performance.now() - start;
  };
  const tasks = () => get(Array.from({ length: trials }, () => onceTask.remote(sleepMs)));
  const rounds = sleepMs > 0 || ctx.quick ? 1 : 2;
  const perRound = sleepMs > 0 || ctx.quick ? 5 : 4;
  for (let round = 0; round < rounds; round++) {
    const executor = new ActorTrialExecutor(once, { idleMs: 30_000 });
    try {
      const sweep = () =>
        new Tuner(once, {
          paramSpace: { sleepMs },
          tuneConfig: { numSamples: trials, maxConcurrentTrials: CPUS },
          runConfig: { name: `s${sweeps++}`, storagePath: scratch, verbose: 0 },
          executor,
        }).fit();
      await sweep();
      for (let i = 0; i < perRound; i++) {
        createUs.push(fileCreateMicros(scratch));
        tuneRuns.push(await timed(sweep));
      }
    } finally {
      await executor.shutdown();
    }
    await tasks();
    for (let i = 0; i < perRound; i++) taskRuns.push(await timed(tasks));
  }
  const ms = (xs: number[]) => xs.map((x) => Math.round(x)).join(' ');
  ctx.log(`  tune runs ${ms(tuneRuns)} ms; core task runs ${ms(taskRuns)} ms`);
  ctx.log(`  file creation before each tune run ${ms(createUs)} µs`);
  ctx.emit({
    name: `${sleepMs === 0 ? 'trials_noop_wall' : `trials_sleep${sleepMs}ms_wall`}${nameSuffix}`,
    unit: 'ms',
    value: median(tuneRuns),
    lowerIsBetter: true,
    baseline: { name: 'core_tasks_same_work_wall', value: median(taskRuns) },
    params: {
      trials,
      maxConcurrentTrials: CPUS,
      clusterCpus: CPUS,
      sleepMs,
      storage: scratch.startsWith('/dev/shm') ? 'tmpfs' : 'disk',
      fileCreateUs: Math.round(median(createUs)),
      executor: 'actor',
      reportsPerTrial: 1,
      warmTrialProcesses: true,
      runs: tuneRuns.length,
      rounds,
    },
  });
}

async function resultThroughput(ctx: BenchContext, scratch: string, reports: number) {
  const trials = 8;
  const tuneRuns = await sweeps_(scratch, chatty, { trials, concurrency: trials, config: { reports } });
  // Baseline: 8 requesters doing sequential request/reply against a trivial responder.
  const nc = currentRuntime()!.nc;
  const sub = nc.subscribe('bench.tune.echo', { callback: (_e, m) => m.respond(m.data) });
  const payload = new Uint8Array(64);
  const rawRuns = await repeat(() =>
    Promise.all(
      Array.from({ length: trials }, async () => {
        for (let i = 0; i < reports; i++) await nc.request('bench.tune.echo', payload);
      }),
    ),
  );
  sub.unsubscribe();
  const total = trials * reports;
  ctx.emit({
    name: 'trial_results_throughput',
    unit: 'results/s',
    value: total / (median(tuneRuns) / 1000),
    baseline: { name: 'nats_request_reply_8_senders', value: total / (median(rawRuns) / 1000) },
    params: { trials, reportsPerTrial: reports, executor: 'actor', warmTrialProcesses: true },
  });
}

async function ashaVsFifo(ctx: BenchContext, scratch: string, maxT: number) {
  const numSamples = 64;
  const trainable = syntheticCurve(maxT);
  const sweepWith = async (scheduler: ASHAScheduler | FIFOScheduler) => {
    let iterations = 0;
    const grid = await new Tuner(trainable, {
      paramSpace: { lr: loguniform(1e-4, 1), width: randint(16, 129) },
      tuneConfig: { metric: 'acc', mode: 'max', numSamples, seed: 42, scheduler, maxConcurrentTrials: 4 },
      runConfig: { name: `s${sweeps++}`, storagePath: scratch, verbose: 0 },
      executor: new LocalTrialExecutor(trainable),
    }).fit();
    for (let i = 0; i < grid.length; i++) iterations += grid.get(i).metricsHistory.length;
    const best = grid.getBestResult('acc', 'max', 'all');
    // The best trial's true final value: what training it fully would give.
    return { best: curve(best.config, maxT), iterations };
  };
  const fifo = await sweepWith(new FIFOScheduler());
  const asha = await sweepWith(new ASHAScheduler({ maxT, gracePeriod: 1, reductionFactor: 3 }));
  const params = { numSamples, maxT, gracePeriod: 1, reductionFactor: 3, seed: 42, executor: 'local' };
  ctx.emit({
    name: 'asha_best_metric',
    unit: 'acc',
    value: asha.best,
    baseline: { name: 'fifo_random_search_best', value: fifo.best },
    params,
  });
  ctx.emit({
    name: 'asha_total_iterations',
    unit: 'iterations',
    value: asha.iterations,
    lowerIsBetter: true,
    baseline: { name: 'fifo_random_search_iterations', value: fifo.iterations },
    params,
  });
}
