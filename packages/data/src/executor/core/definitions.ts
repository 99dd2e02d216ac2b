/**
 * The remote code of the core-backed executor. Worker processes import this module by URL and
 * find these definitions by name, so they are declared here at the top level, unconditionally.
 * `sharedDir`, when given, says the sender is on this machine: blocks travel as files in it.
 */
import { actor, remote } from '@manta/core';
import type { Block } from '../../block/index.ts';
import type { BlockFn, StageSpec } from '../../ops/index.ts';
import { blockFnOf } from '../../ops/index.ts';
import type { RemoteReadSpec } from '../../source/index.ts';
import { runRemoteRead } from '../../source/index.ts';
import { LocalTaskContext } from '../worker_context.ts';
import { type SharedBlock, shareBlock, unshareBlock } from './shared_memory.ts';

/** One read task, run in a worker: every block it yields. */
export const readTask = remote(
  import.meta.url,
  async (spec: RemoteReadSpec, sharedDir?: string): Promise<(Block | SharedBlock)[]> => {
    const blocks: (Block | SharedBlock)[] = [];
    for await (const block of runRemoteRead(spec)) blocks.push(shareBlock(block, sharedDir ?? undefined));
    return blocks;
  },
  { name: 'manta-data.read' },
);

// Task workers are reused: keep each stage's function (and the instances it made) per process.
const stages = new Map<string, Promise<BlockFn>>();
const taskContext = new LocalTaskContext(0);

/** One transform stage over one block, run as a stateless task. */
export const stageTask = remote(
  import.meta.url,
  async (spec: StageSpec, block: Block | SharedBlock, sharedDir?: string): Promise<Block | SharedBlock> => {
    const key = JSON.stringify(spec);
    let fn = stages.get(key);
    if (!fn) {
      fn = blockFnOf(spec);
      stages.set(key, fn);
    }
    return shareBlock(await (await fn)(unshareBlock(block), taskContext), sharedDir ?? undefined);
  },
  { name: 'manta-data.stage' },
);

/**
 * One member of a mapBatches actor pool: builds the stage (and so constructs the user's class)
 * once, in its own process, and runs every bundle it is given with that instance.
 */
export class BatchWorker {
  private readonly fn: Promise<BlockFn>;
  private readonly context = new LocalTaskContext(0);

  constructor(spec: StageSpec) {
    this.fn = blockFnOf(spec);
    this.fn.catch(() => undefined);
  }

  async call(block: Block | SharedBlock, sharedDir?: string): Promise<Block | SharedBlock> {
    const fn = await this.fn;
    return shareBlock(await fn(unshareBlock(block), this.context), sharedDir ?? undefined);
  }

  pid(): number {
    return process.pid;
  }

  async close(): Promise<void> {
    await this.context.dispose();
  }
}

export const BatchWorkerActor = actor(import.meta.url, BatchWorker);
