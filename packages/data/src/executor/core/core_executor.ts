import { hostname } from 'node:os';
import type { ActorHandle } from '@manta/core';
import { clusterStatus, get, kill } from '@manta/core';
import { parseConfig } from '@manta/core/internal';
import { z } from 'zod';
import type { Block } from '../../block/index.ts';
import { DataUsageError } from '../../errors/index.ts';
import type { PlanNode } from '../../plan/index.ts';
import type { ReadTask } from '../../source/index.ts';
import { StreamingExecutor } from '../streaming.ts';
import type { StageRunners, StreamingLimits } from '../types.ts';
import { type BatchWorker, BatchWorkerActor, readTask, stageTask } from './definitions.ts';
import { createSharedDir, removeSharedDir, shareBlock, unshareBlock } from './shared_memory.ts';

const optionsSchema = z
  .object({
    maxInFlightBytes: z.number().int().positive().optional(),
    maxInFlightBlocks: z.number().int().positive().optional(),
    readConcurrency: z.number().int().positive().optional(),
    preserveOrder: z.boolean().optional(),
    taskNumCpus: z.number().finite().nonnegative().default(0),
    callsPerActor: z.number().int().positive().default(2),
    reuseActors: z.boolean().default(false),
    sharedMemory: z.boolean().default(true),
  })
  .strict();

export type CoreExecutorOptions = Partial<StreamingLimits> & {
  /**
   * CPUs each read or map task reserves (default 0: data tasks are mostly I/O and would
   * otherwise wait behind an actor pool holding every CPU).
   */
  readonly taskNumCpus?: number;
  /** Bundles sent to each pool actor before it returns one, so transfer overlaps compute (default 2). */
  readonly callsPerActor?: number;
  /**
   * Keep actor pools alive after an execution and reuse them for the same stage (same class,
   * arguments and resources) in later ones, until `close()` (default false: a pool lives for
   * one execution).
   */
  readonly reuseActors?: boolean;
  /**
   * Move blocks between processes as files in /dev/shm when every node runs on this machine
   * (default true); otherwise, and for small blocks, they go through the cluster's messages.
   */
  readonly sharedMemory?: boolean;
};

/** Blocks sent to another process: through a shared folder when one is in use. */
interface Transport {
  dir(): Promise<string | undefined>;
  close(): void;
}

function transport(enabled: boolean): Transport {
  let dir: Promise<string | undefined> | undefined;
  let made: string | undefined;
  return {
    dir() {
      dir ??= (async () => {
        if (!enabled) return undefined;
        const status = await clusterStatus();
        const here = hostname();
        if (!status.nodes.every((n) => !n.alive || n.hostname === here)) return undefined;
        made = createSharedDir();
        return made;
      })();
      return dir;
    },
    close() {
      if (made) removeSharedDir(made);
    },
  };
}

/** Send `block` to a remote call and take back its result block. */
async function exchange(
  shared: Transport,
  block: Block,
  call: (block: Block, dir: string | undefined) => Promise<Block>,
): Promise<Block> {
  const dir = await shared.dir();
  return unshareBlock(await call(shareBlock(block, dir) as Block, dir));
}

/**
 * Runs a plan on a Manta cluster (needs `init()`): read tasks that can be redone from plain
 * data run as core tasks, map stages given as core `remote()` functions run as core tasks, and
 * `mapBatches(..., { compute: actorPool({ size }) })` runs on `size` actors, each a worker
 * process that constructs the class once. Blocks come back to this process, where the same
 * in-flight budget as the local executor bounds what is read ahead (backpressure). Closures
 * (plain functions, in-memory sources) cannot cross processes and run here.
 */
export class CoreExecutor extends StreamingExecutor {
  override readonly name: string = 'core';
  private readonly taskNumCpus: number;
  private readonly callsPerActor: number;
  private readonly reuseActors: boolean;
  private readonly sharedMemory: boolean;
  private readonly kept = new Map<string, ActorPool>();

  constructor(options: CoreExecutorOptions = {}) {
    const { taskNumCpus, callsPerActor, reuseActors, sharedMemory, ...limits } = parseConfig(
      optionsSchema,
      options,
      'CoreExecutor options',
    );
    super(Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)));
    this.taskNumCpus = taskNumCpus;
    this.callsPerActor = callsPerActor;
    this.reuseActors = reuseActors;
    this.sharedMemory = sharedMemory;
  }

  /** Stop the actor pools kept for reuse. */
  async close(): Promise<void> {
    const pools = [...this.kept.values()];
    this.kept.clear();
    await Promise.all(pools.map((p) => p.close()));
  }

  private pool(node: Extract<PlanNode, { kind: 'mapBatches' }>, owned: ActorPool[]): ActorPool {
    if (!this.reuseActors) {
      const pool = new ActorPool(node, this.callsPerActor);
      owned.push(pool);
      return pool;
    }
    const key = JSON.stringify([node.remote, node.resources, node.compute]);
    let pool = this.kept.get(key);
    if (!pool) {
      pool = new ActorPool(node, this.callsPerActor);
      this.kept.set(key, pool);
    }
    return pool;
  }

  protected override stageRunners(limits: StreamingLimits): StageRunners {
    const pools: ActorPool[] = [];
    const cpus = this.taskNumCpus;
    const shared = transport(this.sharedMemory);
    return {
      readTask: (task: ReadTask): ReadTask => {
        const spec = task.remote;
        if (!spec) return task;
        return {
          ...task,
          async *read() {
            const dir = await shared.dir();
            for (const block of await get(readTask.options({ numCpus: cpus }).remote(spec, dir)))
              yield unshareBlock(block);
          },
        };
      },
      oneToOne: (node) => {
        const spec = node.remote;
        if (!spec) return undefined;
        const fn = stageTask.options({ numCpus: cpus });
        return {
          slots: limits.readConcurrency,
          run: (block) => exchange(shared, block, (b, dir) => get(fn.remote(spec, b, dir)) as Promise<Block>),
        };
      },
      mapBatches: (node) => {
        const spec = node.remote;
        if (node.compute.kind === 'actors') {
          if (!spec) throw poolNeedsRemoteClass(node);
          const pool = this.pool(node, pools);
          return {
            slots: pool.slots,
            run: (block, slot) => exchange(shared, block, (b, dir) => pool.run(b, slot, dir)),
          };
        }
        if (!spec) return undefined;
        const fn = stageTask.options({
          numCpus: node.resources.numCpus ?? cpus,
          numGpus: node.resources.numGpus,
        });
        return {
          slots: node.concurrency,
          run: (block) => exchange(shared, block, (b, dir) => get(fn.remote(spec, b, dir)) as Promise<Block>),
        };
      },
      close: async () => {
        await Promise.all(pools.map((p) => p.close()));
        shared.close();
      },
    };
  }
}

function poolNeedsRemoteClass(node: Extract<PlanNode, { kind: 'mapBatches' }>): DataUsageError {
  return new DataUsageError(
    `${node.name}: an actor pool on a Manta cluster runs the class in worker processes, which find it ` +
      'by module URL: export it from a module and pass actor(import.meta.url, MyClass) (or a ' +
      'remote(import.meta.url, fn) function) to mapBatches',
  );
}

/** `size` BatchWorker actors, started on first use; slot i goes to actor i % size. */
class ActorPool {
  readonly slots: number;
  private actors: Promise<ActorHandle<BatchWorker>[]> | undefined;
  private closed = false;

  constructor(
    private readonly node: Extract<PlanNode, { kind: 'mapBatches' }>,
    callsPerActor: number,
  ) {
    this.slots = this.size * callsPerActor;
  }

  private get size(): number {
    return this.node.compute.kind === 'actors' ? this.node.compute.size : 1;
  }

  private start(): Promise<ActorHandle<BatchWorker>[]> {
    const { remote, resources } = this.node;
    const cls = BatchWorkerActor.options({ numCpus: resources.numCpus ?? 1, numGpus: resources.numGpus });
    this.actors ??= Promise.all(Array.from({ length: this.size }, () => cls.remote(remote as never)));
    return this.actors;
  }

  async run(block: Block, slot: number, sharedDir: string | undefined): Promise<Block> {
    if (this.closed) throw new DataUsageError(`${this.node.name}: the actor pool was closed`);
    const actors = await this.start();
    return (await get(actors[slot % actors.length].call.remote(block, sharedDir))) as Block;
  }

  async close(): Promise<void> {
    this.closed = true;
    const actors = await this.actors?.catch(() => []);
    if (!actors) return;
    await Promise.all(actors.map((a) => kill(a).catch(() => undefined)));
  }
}
