import { z } from 'zod';

export const mapBatchesSchema = z
  .object({
    batchSize: z.number().int().positive().nullable().default(256),
    batchFormat: z.enum(['rows', 'columns', 'tensor']).default('columns'),
    concurrency: z.number().int().positive().optional(),
    constructorArgs: z.array(z.unknown()).optional(),
    compute: z
      .union([
        z.object({ kind: z.literal('tasks') }).strict(),
        z.object({ kind: z.literal('actors'), size: z.number().int().positive() }).strict(),
      ])
      .optional(),
    numCpus: z.number().finite().nonnegative().optional(),
    numGpus: z.number().finite().nonnegative().optional(),
  })
  .strict();

export const iterBatchesSchema = z
  .object({
    batchSize: z.number().int().positive().default(256),
    batchFormat: z.enum(['rows', 'columns', 'tensor']).default('columns'),
    prefetchBatches: z.number().int().nonnegative().default(1),
    dropLast: z.boolean().default(false),
    localShuffleBufferSize: z.number().int().nonnegative().default(0),
    seed: z.union([z.number(), z.string()]).optional(),
  })
  .strict();

export const streamingSplitSchema = z
  .object({
    equal: z.boolean().default(false),
    shuffleEachEpoch: z.object({ seed: z.number() }).strict().optional(),
  })
  .strict();
