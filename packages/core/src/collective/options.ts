/** Validation of createCollectiveGroup's options (zod v4 through parseConfig). */
import { z } from 'zod';
import { parseConfig } from '../config/index.ts';
import type { CollectiveGroupOptions } from './types.ts';

const schema = z
  .object({
    nc: z.custom<CollectiveGroupOptions['nc']>(
      (v) =>
        typeof v === 'object' && v !== null && typeof (v as { publish?: unknown }).publish === 'function',
      'expected a connected NATS client',
    ),
    group: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'expected 1-100 letters, digits, "-" or "_"'),
    rank: z.number().int().min(0),
    worldSize: z.number().int().min(1).max(65535),
    transport: z.enum(['tcp', 'nats']).optional(),
    timeoutMs: z.number().int().min(100).default(30_000),
    compression: z.enum(['none', 'fp16']).default('none'),
    host: z.string().min(1).default('127.0.0.1'),
    chunkBytes: z
      .number()
      .int()
      .min(1024)
      .default(4 * 1024 * 1024),
  })
  .refine((o) => o.rank < o.worldSize, { message: 'rank must be below worldSize', path: ['rank'] });

export type ParsedGroupOptions = z.output<typeof schema>;

export function parseGroupOptions(options: CollectiveGroupOptions): ParsedGroupOptions {
  return parseConfig(schema, options, 'collective group options');
}

const bucketSchema = z.object({
  bucketBytes: z
    .number()
    .int()
    .min(8)
    .default(25 * 1024 * 1024),
});

export function parseBucketOptions(options: unknown): z.output<typeof bucketSchema> {
  return parseConfig(bucketSchema, options ?? {}, 'allReduceMany options');
}
