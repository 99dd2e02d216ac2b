import { z } from 'zod';
import { NatsAddressSchema } from '../nats/connect.ts';

const resourceMap = z.record(z.string().min(1), z.number().finite().nonnegative());

/** A placement group (any bundle) or `group.bundle(i)`. */
const PlacementRefSchema = z
  .object({ groupId: z.string().min(1), bundleIndex: z.number().int().min(-1).optional() })
  .transform((p) => ({ groupId: p.groupId, bundleIndex: p.bundleIndex ?? -1 }));

export const RemoteOptionsSchema = z
  .object({
    numCpus: z.number().finite().nonnegative().optional(),
    numGpus: z.number().finite().nonnegative().optional(),
    resources: resourceMap.optional(),
    maxRetries: z.number().int().min(-1).optional(),
    retryExceptions: z.boolean().optional(),
    name: z.string().min(1).max(200).optional(),
    placementGroup: PlacementRefSchema.optional(),
  })
  .strict();
export type RemoteOptions = z.input<typeof RemoteOptionsSchema>;

export const ActorOptionsSchema = z
  .object({
    numCpus: z.number().finite().nonnegative().optional(),
    numGpus: z.number().finite().nonnegative().optional(),
    resources: resourceMap.optional(),
    maxRestarts: z.number().int().min(-1).optional(),
    maxConcurrency: z.number().int().min(1).max(100_000).optional(),
    name: z.string().min(1).max(200).optional(),
    placementGroup: PlacementRefSchema.optional(),
    /** 'detached': the actor outlives the submitted job that created it (until killed). */
    lifetime: z.enum(['job', 'detached']).optional(),
  })
  .strict();
export type ActorOptions = z.input<typeof ActorOptionsSchema>;

export const InitOptionsSchema = z
  .object({
    /**
     * A running cluster: its nats://host:port, or the URLs of every server of its NATS cluster
     * (an array or comma-separated); omitted = start an embedded local cluster.
     */
    address: NatsAddressSchema.optional(),
    token: z.string().min(1).optional(),
    numCpus: z.number().int().min(0).optional(),
    numGpus: z.number().int().min(0).optional(),
    resources: resourceMap.optional(),
    /** Folder for the session's logs; a temp folder removed at shutdown when omitted. */
    logDir: z.string().optional(),
    /**
     * Print what the workers of this driver print (default true): on the embedded cluster all of
     * them; on a cluster joined by address, those working for this driver's job.
     */
    logToDriver: z.boolean().optional(),
    /** Embedded cluster only: serve the read-only dashboard on this loopback port (0: a free one). */
    dashboardPort: z.number().int().min(0).max(65535).optional(),
  })
  .strict()
  .refine((o) => o.address === undefined || o.dashboardPort === undefined, {
    message: 'the dashboard runs on the head: start it with `manta start --head --dashboard-port`',
    path: ['dashboardPort'],
  });
export type InitOptions = z.input<typeof InitOptionsSchema>;

export const GetOptionsSchema = z.object({ timeout: z.number().finite().nonnegative().optional() }).strict();
export const WaitOptionsSchema = z
  .object({
    numReturns: z.number().int().min(1).optional(),
    timeout: z.number().finite().nonnegative().optional(),
  })
  .strict();

/** Turn numCpus/numGpus/resources into one resource map (tasks default to 1 CPU, actors to 0 while running, as in Ray). */
export function toResources(
  options: { numCpus?: number; numGpus?: number; resources?: Record<string, number> },
  defaultCpus: number,
) {
  const resources: Record<string, number> = { ...(options.resources ?? {}) };
  resources.CPU = options.numCpus ?? defaultCpus;
  if (options.numGpus !== undefined) resources.GPU = options.numGpus;
  for (const key of Object.keys(resources)) if (resources[key] === 0) delete resources[key];
  return resources;
}
