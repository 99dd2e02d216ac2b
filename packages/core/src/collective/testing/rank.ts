/**
 * One rank of a multi-process collective test: `node --import tsx rank.ts`, spec as JSON in
 * MANTA_RANK_SPEC. Runs the scenario's steps in order and prints one JSON line per step
 * (`{"step":i,...StepResult}`), then `{"done":true}`.
 */
import { connect } from 'nats';
import { createCollectiveGroup } from '../create.ts';
import { segmentOf } from '../segments.ts';
import type { CollectiveArray, Compression, TransportName } from '../types.ts';
import { compare, hashBytes, input, reference, type Step, type StepResult } from './scenario.ts';

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
const fp16 = spec.compression === 'fp16';
const N = spec.worldSize;

for (const [index, step] of spec.steps.entries()) {
  if (spec.dieAtStep === index) setTimeout(() => process.kill(process.pid, 'SIGKILL'), spec.dieAfterMs ?? 0);
  const started = performance.now();
  try {
    const result = await runStep(step, index);
    out({ step: index, ...result, ms: performance.now() - started });
  } catch (error) {
    const e = error as { name: string; code?: string; rank?: number; message: string };
    out({
      step: index,
      ok: false,
      error: { name: e.name, code: e.code, rank: e.rank, message: e.message },
      ms: performance.now() - started,
    } satisfies StepResult & { step: number });
  }
}
await group.destroy();
await nc.close();
out({ done: true });

async function runStep(step: Step, index: number): Promise<Omit<StepResult, 'ms'>> {
  switch (step.kind) {
    case 'barrier':
      await group.barrier();
      return { ok: true };
    case 'allReduce': {
      const buf = input(step.dtype, step.length, spec.rank, index);
      await group.allReduce(buf, step.op, { algorithm: step.algorithm });
      const { ref, absSum } = reference(step.dtype, step.length, N, index, step.op);
      return { ...compare(buf, ref, absSum, 0, step.dtype, step.op, N, fp16), hash: hashBytes(buf) };
    }
    case 'allReduceMany': {
      // Every array of the list is one "sub-step" index*1000+j so inputs differ.
      const bufs = step.lengths.map((len, j) => input(step.dtype, len, spec.rank, index * 1000 + j));
      const result = await group.allReduceMany(bufs, step.op, { bucketBytes: step.bucketBytes });
      let ok = result === bufs;
      let maxErr = 0;
      const hashes: string[] = [];
      step.lengths.forEach((len, j) => {
        const { ref, absSum } = reference(step.dtype, len, N, index * 1000 + j, step.op);
        const c = compare(bufs[j], ref, absSum, 0, step.dtype, step.op, N, fp16);
        ok &&= c.ok;
        maxErr = Math.max(maxErr, c.maxErr);
        hashes.push(hashBytes(bufs[j]));
      });
      return { ok, maxErr, hash: hashes.join(',') };
    }
    case 'broadcast': {
      const buf = input(step.dtype, step.length, spec.rank, index);
      await group.broadcast(buf, step.root);
      const expected = input(step.dtype, step.length, step.root, index);
      return { ok: hashBytes(buf) === hashBytes(expected), hash: hashBytes(buf) };
    }
    case 'allGather': {
      const mine = input(step.dtype, step.length, spec.rank, index);
      const got = await group.allGather(mine);
      let ok = got.length === N * step.length;
      for (let r = 0; r < N && ok; r++) {
        ok =
          hashBytes(got.subarray(r * step.length, (r + 1) * step.length)) ===
          hashBytes(input(step.dtype, step.length, r, index));
      }
      return { ok, hash: hashBytes(got) };
    }
    case 'reduceScatter': {
      const buf = input(step.dtype, step.length, spec.rank, index);
      const before = hashBytes(buf);
      const got: CollectiveArray = await group.reduceScatter(buf, step.op);
      const seg = segmentOf(step.length, N, spec.rank);
      const { ref, absSum } = reference(step.dtype, step.length, N, index, step.op);
      const c = compare(got, ref, absSum, seg.start, step.dtype, step.op, N, fp16);
      return {
        ok: c.ok && got.length === seg.end - seg.start && hashBytes(buf) === before,
        maxErr: c.maxErr,
        hash: hashBytes(got),
      };
    }
  }
}
