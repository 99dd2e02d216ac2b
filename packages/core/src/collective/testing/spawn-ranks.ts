/** Test harness: runs a scenario on N rank processes (rank.ts) against a real nats-server. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RankSpec } from './rank.ts';
import type { StepResult } from './scenario.ts';

const RANK_SCRIPT = fileURLToPath(new URL('./rank.ts', import.meta.url));

export interface RankOutcome {
  rank: number;
  results: StepResult[];
  done: boolean;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

export type SharedSpec = Omit<RankSpec, 'rank'>;

/** Spawns every rank with `spec` (and `perRank` overrides), waits for all to exit (killing stragglers after `limitMs`). */
export async function runRanks(
  spec: SharedSpec,
  perRank: Record<number, Partial<RankSpec>> = {},
  limitMs = 50_000,
): Promise<RankOutcome[]> {
  const runs = Array.from({ length: spec.worldSize }, (_, rank) =>
    runRank({ ...spec, rank, ...perRank[rank] }, limitMs),
  );
  return Promise.all(runs);
}

function runRank(spec: RankSpec, limitMs: number): Promise<RankOutcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', RANK_SCRIPT], {
      env: { ...process.env, MANTA_RANK_SPEC: JSON.stringify(spec) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('exit', (exitCode, signal) => {
      clearTimeout(timer);
      const results: StepResult[] = [];
      let done = false;
      for (const line of stdout.split('\n')) {
        if (!line.trim()) continue;
        const value = JSON.parse(line) as { step?: number; done?: boolean } & StepResult;
        if (value.done) done = true;
        else if (value.step !== undefined) results[value.step] = value;
      }
      resolve({ rank: spec.rank, results, done, exitCode, signal, stderr });
    });
  });
}
