import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { report } from '../executor/index.ts';
import { HyperBandScheduler } from '../schedulers/index.ts';
import { ConcurrencyLimiter, gridSearch, TPESearcher, uniform } from '../search/index.ts';
import { CliReporter, type ProgressSnapshot } from './progress.ts';
import { Tuner } from './tuner.ts';

const ESC = String.fromCharCode(27);
const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'manta-tune-int-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('tuner integration', () => {
  it('hyperband - paused class trainables checkpoint, wait for the rung and resume; losers stop', async () => {
    const loads: number[] = [];
    class Climber {
      t = 0;
      q = 0;
      setup(config: Record<string, unknown>) {
        this.q = config.q as number;
      }
      step() {
        this.t += 1;
        return { acc: this.q, t: this.t };
      }
      saveCheckpoint(dir: string) {
        writeFileSync(join(dir, 't'), String(this.t));
      }
      loadCheckpoint(dir: string) {
        this.t = Number(readFileSync(join(dir, 't'), 'utf8'));
        loads.push(this.t);
      }
    }
    const grid = await new Tuner(Climber, {
      paramSpace: { q: gridSearch([0, 1, 2, 3, 4, 5, 6, 7, 8]) },
      tuneConfig: {
        metric: 'acc',
        mode: 'max',
        maxConcurrentTrials: 3,
        scheduler: new HyperBandScheduler({ maxT: 9, reductionFactor: 3 }),
      },
      runConfig: { name: 'hb', storagePath: tempDir(), verbose: 0 },
    }).fit();
    // Bracket s=2 (9 trials): keep 3 after t=1, 1 after t=3 (see hyperband.test.ts).
    const iters = new Map([...grid].map((r) => [r.config.q, r.metrics?.trainingIteration]));
    expect([...iters.entries()].sort((a, b) => Number(a[0]) - Number(b[0])).map(([, t]) => t)).toEqual([
      1, 1, 1, 1, 1, 1, 3, 3, 9,
    ]);
    // The trainable's own step counter agrees with the tuner's iteration: resumed from checkpoints.
    for (const r of grid) expect(r.metrics?.t).toBe(r.metrics?.trainingIteration);
    expect(loads.length).toBeGreaterThan(0);
    expect(grid.numTerminated).toBe(9);
  });

  it('tpe - drives a sweep through the Tuner with a ConcurrencyLimiter and numSamples', async () => {
    const seen: number[] = [];
    async function bowl(config: Record<string, unknown>) {
      const x = config.x as number;
      seen.push(x);
      await report({ loss: (x - 0.3) ** 2 });
    }
    const grid = await new Tuner(bowl, {
      paramSpace: { x: uniform(0, 1) },
      tuneConfig: {
        metric: 'loss',
        mode: 'min',
        numSamples: 25,
        maxConcurrentTrials: 4,
        seed: 1,
        searchAlg: new ConcurrencyLimiter(new TPESearcher({ nStartupTrials: 8 }), { maxConcurrent: 2 }),
      },
      runConfig: { name: 'tpe', storagePath: tempDir(), verbose: 0 },
    }).fit();
    expect(grid.length).toBe(25);
    expect(seen).toHaveLength(25);
    expect(Math.abs((grid.getBestResult().config.x as number) - 0.3)).toBeLessThan(0.05);
  });

  it('tuner - reuseActors hands finished instances the next config via resetConfig', async () => {
    let constructed = 0;
    const configs: unknown[] = [];
    class Reusable {
      k = 0;
      constructor() {
        constructed++;
      }
      setup(config: Record<string, unknown>) {
        this.k = config.k as number;
        configs.push(config.k);
      }
      resetConfig(config: Record<string, unknown>) {
        this.k = config.k as number;
        configs.push(config.k);
        return true;
      }
      step() {
        return { k: this.k, done: true };
      }
    }
    const grid = await new Tuner(Reusable, {
      paramSpace: { k: gridSearch([1, 2, 3, 4]) },
      tuneConfig: { maxConcurrentTrials: 1, reuseActors: true },
      runConfig: { name: 'reuse', storagePath: tempDir(), verbose: 0 },
    }).fit();
    expect(constructed).toBe(1);
    expect(configs).toEqual([1, 2, 3, 4]);
    expect([...grid].map((r) => r.metrics?.k)).toEqual([1, 2, 3, 4]);
  });

  it('progress - redraws in place on a TTY, prints periodically otherwise, ends with the best trial', () => {
    const snapshot = (iteration: number): ProgressSnapshot => ({
      experimentName: 'exp',
      experimentPath: '/tmp/exp',
      elapsedS: 1,
      metric: 'acc',
      mode: 'max',
      trials: [
        {
          trialName: 'a',
          status: 'RUNNING',
          config: { lr: 0.1 },
          iteration,
          timeTotalS: 1,
          lastResult: { acc: 0.5 },
        },
        {
          trialName: 'b',
          status: 'TERMINATED',
          config: { lr: 0.2 },
          iteration: 3,
          timeTotalS: 1,
          lastResult: { acc: 0.9 },
        },
      ],
    });
    const sink = (isTTY: boolean) => {
      const chunks: string[] = [];
      return {
        chunks,
        stream: { isTTY, write: (c: string) => chunks.push(c) > 0 } as unknown as NodeJS.WritableStream & {
          isTTY: boolean;
        },
      };
    };
    const tty = sink(true);
    const r1 = new CliReporter({ stream: tty.stream });
    r1.update(snapshot(1));
    r1.finish(snapshot(2));
    expect(tty.chunks[0]).toContain('Trial name');
    expect(tty.chunks[1].startsWith(`${ESC}[`)).toBe(true);
    expect(tty.chunks[1]).toContain(`A${ESC}[0J`);
    expect(tty.chunks[1]).toContain('Best trial b: acc=0.90000');
    const pipe = sink(false);
    const r2 = new CliReporter({ stream: pipe.stream, intervalS: 3600 });
    r2.update(snapshot(1));
    r2.update(snapshot(2));
    expect(pipe.chunks).toHaveLength(1);
    r2.finish(snapshot(3));
    expect(pipe.chunks[1]).not.toContain(ESC);
    expect(pipe.chunks[1]).toContain('Best trial b');
  });
});
