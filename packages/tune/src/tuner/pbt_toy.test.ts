import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { getCheckpoint, getContext, report } from '../executor/index.ts';
import { PopulationBasedTraining } from '../schedulers/index.ts';
import { createRng, gridSearch } from '../search/index.ts';
import type { ResultGrid } from './result_grid.ts';
import { Tuner } from './tuner.ts';

// The toy example of Jaderberg et al. 2017 (PBT), §4 / Fig. 2: maximise Q(θ) = 1.2 − θ0² − θ1²
// by gradient ascent on the surrogate Q̂(θ|h) = 1.2 − h0·θ0² − h1·θ1². Two workers start at
// θ = [0.9, 0.9] with h = [1, 0] and [0, 1]; alone, each can only shrink one coordinate, so
// Q stays at 1.2 − 0.81 = 0.39. Exploit (copy θ of the better worker) and explore (perturb h)
// let the population shrink both.

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'manta-pbt-toy-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface ToyState {
  theta: number[];
  writer: string;
  iteration: number;
}
const STEPS = 60;
const LR = 0.05;
const INTERVAL = 4;

function toyTrainable(loads: (ToyState & { trialId: string })[]) {
  return async function toy(config: Record<string, unknown>) {
    const { h0, h1 } = config.h as { h0: number; h1: number };
    const h = [h0, h1];
    const { trialId, iteration: start } = getContext();
    const ckpt = getCheckpoint();
    let theta = [0.9, 0.9];
    if (ckpt) {
      const saved = JSON.parse(readFileSync(join(ckpt, 'state.json'), 'utf8')) as ToyState;
      theta = saved.theta;
      loads.push({ ...saved, trialId });
    }
    for (let iteration = start + 1; ; iteration++) {
      // One gradient step on Q̂(θ|h): ∂Q̂/∂θi = −2·hi·θi.
      theta = theta.map((t, i) => t - LR * 2 * h[i] * t);
      // Checkpoint at each perturbation step (PBT exploits only there).
      let dir: string | undefined;
      if (iteration % INTERVAL === 0) {
        dir = tempDir();
        writeFileSync(
          join(dir, 'state.json'),
          JSON.stringify({ theta, writer: trialId, iteration } satisfies ToyState),
        );
      }
      await report(
        { Q: 1.2 - theta[0] ** 2 - theta[1] ** 2, theta0: theta[0], theta1: theta[1] },
        { checkpoint: dir },
      );
    }
  };
}

async function runPopulation(pbt: boolean, loads: (ToyState & { trialId: string })[]): Promise<ResultGrid> {
  const noise = createRng(7);
  return new Tuner(toyTrainable(loads), {
    paramSpace: {
      h: gridSearch([
        { h0: 1, h1: 0 },
        { h0: 0, h1: 1 },
      ]),
    },
    tuneConfig: {
      metric: 'Q',
      mode: 'max',
      maxConcurrentTrials: 2,
      scheduler: pbt
        ? new PopulationBasedTraining({
            perturbationInterval: INTERVAL,
            // Explore as in the paper: add Gaussian noise to h (kept non-negative).
            customExploreFn: (c) => {
              const h = c.h as { h0: number; h1: number };
              return {
                ...c,
                h: { h0: Math.abs(h.h0 + 0.2 * noise.normal()), h1: Math.abs(h.h1 + 0.2 * noise.normal()) },
              };
            },
            seed: 3,
          })
        : 'fifo',
    },
    runConfig: {
      name: pbt ? 'pbt' : 'fixed',
      storagePath: tempDir(),
      verbose: 0,
      stop: { trainingIteration: STEPS },
    },
  }).fit();
}

describe('pbt toy (Jaderberg et al. 2017)', () => {
  it('pbt - reaches a higher Q than fixed hyperparameters in the same number of steps; exploit copies the donor weights', async () => {
    const fixedLoads: (ToyState & { trialId: string })[] = [];
    const fixed = await runPopulation(false, fixedLoads);
    const fixedBest = Math.max(...[...fixed].map((r) => r.metrics?.Q as number));
    expect(fixedBest).toBeLessThan(0.4);
    expect(fixedLoads).toHaveLength(0);

    const loads: (ToyState & { trialId: string })[] = [];
    const grid = await runPopulation(true, loads);
    for (const r of grid) expect(r.metrics?.trainingIteration).toBe(STEPS);
    const best = Math.max(...[...grid].map((r) => r.metrics?.Q as number));
    expect(best).toBeGreaterThan(fixedBest + 0.2);

    // Every exploit restarted the trial from the donor's weights at the donor's checkpointed step.
    expect(loads.length).toBeGreaterThan(0);
    const byId = new Map([...grid].map((r) => [r.trialId, r]));
    for (const load of loads) {
      expect(load.writer).not.toBe(load.trialId);
      const donorStep = byId
        .get(load.writer)
        ?.metricsHistory.find((m) => m.trainingIteration === load.iteration);
      expect(load.theta).toEqual([donorStep?.theta0, donorStep?.theta1]);
    }
    const policy = readFileSync(join(byId.get(loads[0].trialId)?.path as string, 'pbt_policy.json'), 'utf8')
      .trim()
      .split('\n');
    expect(JSON.parse(policy[0]).donorTrialId).toBe(loads[0].writer);
  });
});
