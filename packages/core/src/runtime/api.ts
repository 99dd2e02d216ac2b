import type { z } from 'zod';
import { EmbeddedCluster } from '../cluster/index.ts';
import { parseConfig } from '../config/index.ts';
import { ConfigError, RuntimeStateError } from '../errors/index.ts';
import { registerDefinition } from '../function/index.ts';
import { type ClusterStatus, newId } from '../head/index.ts';
import { createLogger } from '../logging/index.ts';
import { detectResources } from '../node/index.ts';
import { isObjectRef, type ObjectRef } from '../object/index.ts';
import { DRIVER_JOB_PREFIX, type FunctionDescriptor, request, Subjects } from '../protocol/index.ts';
import { type DriverHeartbeat, startDriverHeartbeat } from './driver-heartbeat.ts';
import { type ActorHandle, actorHandle, actorIdOf } from './handles.ts';
import { printJobOutput } from './job-output.ts';
import {
  type ActorOptions,
  ActorOptionsSchema,
  GetOptionsSchema,
  type InitOptions,
  InitOptionsSchema,
  type RemoteOptions,
  RemoteOptionsSchema,
  toResources,
  WaitOptionsSchema,
} from './options.ts';
import { currentRuntime, Runtime } from './runtime.ts';

let embedded: EmbeddedCluster | undefined;
let driver: Runtime | undefined;
let heartbeat: DriverHeartbeat | undefined;
let exitHooksInstalled = false;

export interface ClusterConnection {
  address: string;
  token: string;
  /** Folder of the session's logs (embedded cluster only). */
  logDir?: string;
  /** The dashboard's URL, when `dashboardPort` was given. */
  dashboardUrl?: string;
}

/**
 * Connect this process to a Manta cluster. With no `address` (and no MANTA_ADDRESS), start the
 * embedded local cluster (a private nats-server, the head and a node with this machine's
 * resources) that lives until `shutdown()` or process exit.
 */
export async function init(options: InitOptions = {}): Promise<ClusterConnection> {
  const config = parseConfig(InitOptionsSchema, options, 'init options');
  if (driver) throw new RuntimeStateError('init() was already called; call shutdown() first');
  if (currentRuntime()) throw new RuntimeStateError('this process is a Manta worker, already connected');
  installExitHooks();
  // A job's entrypoint (`manta job submit`) finds its cluster in MANTA_ADDRESS/MANTA_TOKEN.
  let address = config.address ?? process.env.MANTA_ADDRESS;
  let token = config.token ?? process.env.MANTA_TOKEN;
  let logDir = config.logDir;
  if (!address) {
    const resources = { ...detectResources(), ...(config.resources ?? {}) };
    if (config.numCpus !== undefined) resources.CPU = config.numCpus;
    if (config.numGpus !== undefined) resources.GPU = config.numGpus;
    embedded = await EmbeddedCluster.start({
      resources,
      logDir: config.logDir,
      logToConsole: config.logToDriver ?? true,
      dashboard: config.dashboardPort === undefined ? undefined : { port: config.dashboardPort },
    });
    address = embedded.address;
    token = embedded.token;
    logDir = embedded.logDir;
  }
  const log = createLogger('driver', String(process.pid), logDir);
  try {
    driver = await Runtime.connect({ address, token, log, name: 'manta-driver' });
    const head = embedded?.head;
    if (head) driver.useLocalHead((spec) => head.submitLocal(spec));
    else {
      if (driver.jobId === undefined) {
        // A driver joining a cluster on its own is a job of its own: what it starts ends with it.
        driver.jobId = `${DRIVER_JOB_PREFIX}${newId()}`;
        heartbeat = startDriverHeartbeat(driver.nc, driver.jobId);
      }
      // What the job's workers print, from any node (an embedded cluster's node prints it itself).
      if (config.logToDriver !== false) printJobOutput(driver.nc, driver.jobId, log);
    }
  } catch (error) {
    await embedded?.stop();
    embedded = undefined;
    throw error;
  }
  return { address, token: token ?? '', logDir, dashboardUrl: embedded?.dashboard?.url };
}

/** Disconnect, and stop the embedded cluster (its nats-server, workers and temp files) if one was started. */
export async function shutdown(): Promise<void> {
  const runtime = driver;
  const cluster = embedded;
  driver = undefined;
  embedded = undefined;
  heartbeat?.end();
  heartbeat = undefined;
  await runtime?.close();
  await cluster?.stop();
}

export function isInitialized(): boolean {
  return currentRuntime() !== undefined;
}

/** The embedded cluster started by init(), for tests and tools (undefined when joined to a cluster). */
export function embeddedCluster(): EmbeddedCluster | undefined {
  return embedded;
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.once('exit', () => embedded?.killNow());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void shutdown().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }
}

function runtime(): Runtime {
  const rt = currentRuntime();
  if (!rt) throw new RuntimeStateError('Manta is not initialized: call init() first');
  return rt;
}

// ---- remote functions ----------------------------------------------------------------------

export interface RemoteFunction<A extends unknown[], R> {
  /** Submit a call; returns at once with a reference to the future result. */
  remote(...args: A): ObjectRef<Awaited<R>>;
  /** The same function with other options for the calls made through the result. */
  options(options: RemoteOptions): RemoteFunction<A, R>;
  readonly descriptor: FunctionDescriptor;
  /** The plain function, for local calls and tests. */
  readonly fn: (...args: A) => R;
}

function checkModuleUrl(moduleUrl: unknown, what: string): asserts moduleUrl is string {
  if (typeof moduleUrl !== 'string' || !/^(file|data|https?):/.test(moduleUrl)) {
    throw new ConfigError(
      `${what}: the first argument must be the defining module's URL (pass import.meta.url), got ${JSON.stringify(moduleUrl)}`,
    );
  }
}

/**
 * Declare a remote function. Call it at the top level of a module, passing `import.meta.url`,
 * so worker processes can import the module and find it.
 */
export function remote<A extends unknown[], R>(
  moduleUrl: string,
  fn: (...args: A) => R,
  options: RemoteOptions = {},
): RemoteFunction<A, R> {
  checkModuleUrl(moduleUrl, 'remote()');
  if (typeof fn !== 'function')
    throw new ConfigError(`remote(): the second argument must be a function, got ${typeof fn}`);
  const base = parseConfig(RemoteOptionsSchema, options, 'remote options');
  const definition = { fn } as { fn: typeof fn; descriptor: FunctionDescriptor };
  definition.descriptor = registerDefinition(moduleUrl, base.name, definition, fn.name || 'anonymous');
  const make = (opts: z.output<typeof RemoteOptionsSchema>): RemoteFunction<A, R> => ({
    descriptor: definition.descriptor,
    fn,
    remote: (...args: A) =>
      runtime().submitTask<Awaited<R>>({
        fn: definition.descriptor,
        args,
        resources: toResources(opts, 1),
        maxRetries: opts.maxRetries ?? 3,
        retryExceptions: opts.retryExceptions ?? false,
        placement: opts.placementGroup,
      }),
    options: (more: RemoteOptions) =>
      make({ ...opts, ...parseConfig(RemoteOptionsSchema, more, 'remote options') }),
  });
  return make(base);
}

// ---- actors ----------------------------------------------------------------------------------

type Constructor = abstract new (...args: never[]) => object;

export interface ActorClass<C extends Constructor> {
  /** Create the actor in its own worker process; resolves with its handle once submitted. */
  remote(...args: ConstructorParameters<C>): Promise<ActorHandle<InstanceType<C>>>;
  options(options: ActorOptions): ActorClass<C>;
  readonly descriptor: FunctionDescriptor;
}

/** Declare an actor class (at the top level of a module, passing `import.meta.url`). */
export function actor<C extends Constructor>(
  moduleUrl: string,
  cls: C,
  options: ActorOptions = {},
): ActorClass<C> {
  checkModuleUrl(moduleUrl, 'actor()');
  if (typeof cls !== 'function')
    throw new ConfigError(`actor(): the second argument must be a class, got ${typeof cls}`);
  const base = parseConfig(ActorOptionsSchema, options, 'actor options');
  const definition = { cls } as { cls: C; descriptor: FunctionDescriptor };
  definition.descriptor = registerDefinition(moduleUrl, undefined, definition, cls.name || 'Actor');
  const make = (opts: z.output<typeof ActorOptionsSchema>): ActorClass<C> => ({
    descriptor: definition.descriptor,
    remote: async (...args: ConstructorParameters<C>) => {
      const actorId = await runtime().createActor({
        cls: definition.descriptor,
        args,
        resources: toResources(opts, 1),
        maxRestarts: opts.maxRestarts ?? 0,
        maxConcurrency: opts.maxConcurrency ?? 1,
        name: opts.name,
        placement: opts.placementGroup,
        detached: opts.lifetime === 'detached',
      });
      return actorHandle<InstanceType<C>>(actorId);
    },
    options: (more: ActorOptions) =>
      make({ ...opts, ...parseConfig(ActorOptionsSchema, more, 'actor options') }),
  });
  return make(base);
}

/** The handle of a live named actor. */
export async function getActor<T = Record<string, (...args: never[]) => unknown>>(
  name: string,
): Promise<ActorHandle<T>> {
  if (typeof name !== 'string' || name.length === 0)
    throw new ConfigError('getActor(): name must be a non-empty string');
  return actorHandle<T>(await runtime().lookupActor(name));
}

/** Kill an actor's process. With `noRestart: false` it is restarted if it has restarts left. */
export async function kill(handle: unknown, options: { noRestart?: boolean } = {}): Promise<void> {
  await runtime().killActor(actorIdOf(handle), options.noRestart ?? true);
}

/** The actor's state as the head reports it: PENDING, ALIVE, RESTARTING or DEAD. */
export async function actorState(handle: unknown): Promise<string | undefined> {
  return (await runtime().actorState(actorIdOf(handle)))?.state;
}

// ---- objects ---------------------------------------------------------------------------------

export function put<T>(value: T): ObjectRef<T> {
  return runtime().put(value);
}

/** The value(s) of one ref or an array of refs; throws the task's error if it failed. */
export async function get<T>(ref: ObjectRef<T>, options?: { timeout?: number }): Promise<T>;
export async function get<T extends readonly ObjectRef[]>(
  refs: T,
  options?: { timeout?: number },
): Promise<{ [K in keyof T]: T[K] extends ObjectRef<infer V> ? V : never }>;
export async function get(
  refs: ObjectRef | readonly ObjectRef[],
  options: { timeout?: number } = {},
): Promise<unknown> {
  const { timeout } = parseConfig(GetOptionsSchema, options, 'get options');
  const rt = runtime();
  if (Array.isArray(refs)) {
    refs.forEach((ref, i) => {
      assertRef(ref, `get(): refs[${i}]`);
    });
    const deadline = timeout === undefined ? undefined : Date.now() + timeout;
    return Promise.all(
      refs.map((ref) => rt.get(ref, deadline === undefined ? undefined : Math.max(0, deadline - Date.now()))),
    );
  }
  assertRef(refs, 'get()');
  return rt.get(refs as ObjectRef, timeout);
}

/**
 * Waits until `numReturns` (default 1) of `refs` are ready or `timeout` ms pass; returns the
 * ready and not-ready refs, each in the order given.
 */
export async function wait<T extends ObjectRef>(
  refs: readonly T[],
  options: { numReturns?: number; timeout?: number } = {},
): Promise<{ ready: T[]; notReady: T[] }> {
  const config = parseConfig(WaitOptionsSchema, options, 'wait options');
  if (!Array.isArray(refs)) throw new ConfigError('wait(): refs must be an array of ObjectRefs');
  refs.forEach((ref, i) => {
    assertRef(ref, `wait(): refs[${i}]`);
  });
  const numReturns = config.numReturns ?? 1;
  if (numReturns > refs.length) {
    throw new ConfigError(
      `wait(): numReturns (${numReturns}) is larger than the number of refs (${refs.length})`,
    );
  }
  const rt = runtime();
  const ready = new Set<T>();
  await new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(timer);
      resolve();
    };
    if (config.timeout !== undefined) timer = setTimeout(finish, config.timeout);
    for (const ref of refs) {
      void rt.whenSettled(ref).then(() => {
        ready.add(ref);
        if (ready.size >= numReturns) finish();
      });
    }
  });
  const readyList = refs.filter((ref) => ready.has(ref)).slice(0, numReturns);
  const chosen = new Set(readyList);
  return { ready: readyList, notReady: refs.filter((ref) => !chosen.has(ref)) };
}

function assertRef(ref: unknown, what: string): void {
  if (!isObjectRef(ref))
    throw new ConfigError(`${what}: expected an ObjectRef, got ${ref === null ? 'null' : typeof ref}`);
}

// ---- cluster ---------------------------------------------------------------------------------

export async function clusterStatus(): Promise<ClusterStatus> {
  return request<ClusterStatus>(runtime().nc, Subjects.status, {});
}
