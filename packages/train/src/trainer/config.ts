import { z } from 'zod';
import { schemeOf, storageBackends } from '../storage/index.ts';

const resources = z.record(z.string().min(1), z.number().finite().nonnegative());

export const ScalingConfigSchema = z
  .object({
    numWorkers: z.number().int().min(1),
    useGpu: z.boolean().optional(),
    resourcesPerWorker: resources.optional(),
    placementStrategy: z.enum(['PACK', 'SPREAD', 'STRICT_PACK', 'STRICT_SPREAD']).optional(),
    /** tfjs backend for every worker; default: the best installed (tensorflow, then wasm, then cpu). */
    backend: z.enum(['tensorflow', 'wasm', 'cpu']).optional(),
  })
  .strict();

const knownSchemes = storageBackends.flatMap((b) => b.schemes);
const storagePath = z
  .string()
  .min(1)
  .refine((path) => knownSchemes.includes(schemeOf(path)), {
    message: `unknown storage scheme; known: a local path, ${knownSchemes
      .filter((s) => s)
      .map((s) => `${s}://`)
      .join(', ')}`,
  });

export const RunConfigSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only')
      .optional(),
    storagePath: storagePath.optional(),
    checkpointConfig: z
      .object({
        numToKeep: z.number().int().min(1).optional(),
        scoreAttribute: z.string().min(1).optional(),
        scoreOrder: z.enum(['max', 'min']).optional(),
      })
      .strict()
      .optional(),
    failureConfig: z
      .object({ maxFailures: z.number().int().min(-1) })
      .strict()
      .optional(),
    /** Print one progress line per report (default true). */
    verbose: z.boolean().optional(),
  })
  .strict();

export const TrainerConfigSchema = z
  .object({
    trainLoopConfig: z.record(z.string(), z.unknown()).optional(),
    scalingConfig: ScalingConfigSchema,
    datasets: z.record(z.string(), z.unknown()).optional(),
    runConfig: RunConfigSchema.optional(),
    /** A checkpoint (or its URI) to start a new run from. */
    resumeFromCheckpoint: z.unknown().optional(),
    /** Collective-group timeout: how long a step may wait for a lost rank (default 30 s). */
    collectiveTimeoutMs: z.number().int().min(100).optional(),
  })
  .strict();

export type ScalingConfig = z.input<typeof ScalingConfigSchema>;
export type RunConfig = z.input<typeof RunConfigSchema>;
export type TrainerConfig = z.input<typeof TrainerConfigSchema>;
