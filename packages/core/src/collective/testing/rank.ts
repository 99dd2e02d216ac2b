/**
 * One rank of a multi-process collective test: `node --import tsx rank.ts`, spec as JSON in
 * MANTA_RANK_SPEC. Runs the scenario's steps in order and prints one JSON line per step
 * (`{"step":i,...StepResult}`), then `{"done":true}`.
 */
import { connect } from 'nats';
import { createCollectiveGroup } from '../create.ts';
import type { Compression, TransportName } from '../types.ts';
import { runStepReporting } from './run-step.ts';
import type { Step } from './scenario.ts';

export interface RankSpec {
  url: string;
  token: string;
  group: string;
  rank: number;
  worldSize: number;
  transport: TransportName;
  compression?: Compression;
  timeoutMs?: number;
  chunkBytes?: number;
  steps: Step[];
  /** This rank SIGKILLs itself this many ms after starting step `dieAtStep`. */
  dieAtStep?: number;
  dieAfterMs?: number;
}

const spec = JSON.parse(process.env.MANTA_RANK_SPEC ?? '{}') as RankSpec;
const out = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

const nc = await connect({ servers: spec.url, token: spec.token });
const group = await createCollectiveGroup({
  nc,
  group: spec.group,
  rank: spec.rank,
  worldSize: spec.worldSize,
  transport: spec.transport,
  compression: spec.compression,
  timeoutMs: spec.timeoutMs,
  chunkBytes: spec.chunkBytes,
});

for (const [index, step] of spec.steps.entries()) {
  if (spec.dieAtStep === index) setTimeout(() => process.kill(process.pid, 'SIGKILL'), spec.dieAfterMs ?? 0);
  out({ step: index, ...(await runStepReporting(group, step, index)) });
}
await group.destroy();
await nc.close();
out({ done: true });
