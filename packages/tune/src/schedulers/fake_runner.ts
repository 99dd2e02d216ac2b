import type { TrialMetrics } from '../search/index.ts';
import { decisionOf, type TrialDecision, type TrialScheduler, TrialStatus, type TrialView } from './types.ts';

/** A trial of the fake runner: its metric as a function of the iteration it reports. */
export interface FakeTrial {
  readonly id: string;
  readonly curve: (t: number) => number;
  /** Iterations after which the trial ends by itself. */
  readonly length: number;
}

export interface FakeRunLog {
  /** Every decision in order: [trialId, iteration, decision]. */
  readonly decisions: [string, number, TrialDecision][];
  /** The last iteration each trial reported. */
  readonly lastIteration: Record<string, number>;
  /** Trials stopped by the scheduler (by decision or stopTrialIds), with the iteration. */
  readonly stoppedAt: Record<string, number>;
}

/**
 * A deterministic stand-in for the Tune controller so schedulers can be tested from
 * synthetic learning curves: trials are added in order, up to `maxConcurrent` run, and each
 * running trial reports one iteration per round (round-robin). Paused trials resume where
 * they stopped (as if from a checkpoint).
 */
export function runFake(
  scheduler: TrialScheduler,
  trials: readonly FakeTrial[],
  { maxConcurrent = 1, metric = 'acc', timeAttr = 'trainingIteration' } = {},
): FakeRunLog {
  interface Live extends TrialView {
    status: TrialStatus;
    lastResult: TrialMetrics | undefined;
    t: number;
  }
  const views: Live[] = trials.map((t) => ({
    trialId: t.id,
    status: TrialStatus.Pending,
    config: {},
    lastResult: undefined,
    checkpoint: undefined,
    t: 0,
  }));
  const byId = new Map(views.map((v) => [v.trialId, v]));
  const spec = new Map(trials.map((t) => [t.id, t]));
  const log: FakeRunLog = { decisions: [], lastIteration: {}, stoppedAt: {} };
  const stop = (id: string) => {
    const v = byId.get(id);
    if (!v || v.status === TrialStatus.Terminated) return;
    v.status = TrialStatus.Terminated;
    log.stoppedAt[id] = v.t;
  };
  for (const v of views) scheduler.onTrialAdd(v);
  for (let round = 0; round < 100_000; round++) {
    let running = views.filter((v) => v.status === TrialStatus.Running);
    while (running.length < maxConcurrent) {
      const next = scheduler.chooseTrialToRun(views);
      if (!next) break;
      (next as Live).status = TrialStatus.Running;
      running = views.filter((v) => v.status === TrialStatus.Running);
    }
    if (running.length === 0) return log;
    for (const v of running) {
      if (v.status !== TrialStatus.Running) continue;
      v.t += 1;
      const result = { [metric]: spec.get(v.trialId)?.curve(v.t) as number, [timeAttr]: v.t };
      v.lastResult = result;
      log.lastIteration[v.trialId] = v.t;
      const d = decisionOf(scheduler.onTrialResult(v, result));
      log.decisions.push([v.trialId, v.t, d.decision]);
      for (const id of d.stopTrialIds ?? []) stop(id);
      if (d.decision === 'STOP') stop(v.trialId);
      else if (d.decision === 'PAUSE') v.status = TrialStatus.Paused;
      else if (v.t >= (spec.get(v.trialId)?.length ?? 0)) {
        v.status = TrialStatus.Terminated;
        for (const id of scheduler.onTrialComplete(v, result)?.stopTrialIds ?? []) stop(id);
      }
    }
  }
  throw new Error('runFake did not finish');
}
