import type { Mode } from '../search/index.ts';
import type { Stopper } from '../stoppers/index.ts';
import type { StopFn, TrialNaming } from './config.ts';

/** The resolved, validated knobs the controller runs with. */
export interface ControllerSettings {
  readonly experimentName: string;
  readonly trainableName: string;
  readonly metric: string | undefined;
  readonly mode: Mode | undefined;
  readonly numSamples: number;
  readonly maxConcurrentTrials: number;
  /** PENDING trials to keep ready (HyperBand needs its brackets filled ahead of time). */
  readonly maxPendingTrials: number;
  /** Stop asking the searcher after numSamples trials (not for the BasicVariantGenerator, which counts itself). */
  readonly capSuggestions: boolean;
  readonly timeBudgetS: number | undefined;
  readonly seed: number | string | undefined;
  readonly reuseActors: boolean;
  readonly stop: Record<string, number> | StopFn | Stopper | undefined;
  readonly numToKeep: number | undefined;
  readonly checkpointFrequency: number;
  readonly checkpointAtEnd: boolean;
  readonly maxFailures: number;
  readonly sampledKeys: readonly string[];
  readonly paramSpaceData: unknown;
  readonly trialNameCreator: ((trial: TrialNaming) => string) | undefined;
  readonly trialDirnameCreator: ((trial: TrialNaming) => string) | undefined;
}
