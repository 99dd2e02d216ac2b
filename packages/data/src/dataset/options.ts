import { z } from 'zod';

export const mapBatchesSchema = z
  .object({
    batchSize: z.number().int().positive().nullable().default(256),
    batchFormat: z.enum(['rows', 'columns', 'tensor']).default('columns'),
    concurrency: z.number().int().positive().default(1),
    constructorArgs: z.array(z.unknown()).optional(),
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
