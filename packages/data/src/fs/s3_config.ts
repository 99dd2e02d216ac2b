/**
 * Resolves S3 options (validated) and the standard AWS environment variables into an S3Client
 * config. Options win over the environment; credentials left out fall to the SDK's own chain.
 * Shared by @manta/data's `s3://` file system and @manta/train's S3 storage (which re-exports it).
 */
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { parseConfig } from '@manta/core/internal';
import { z } from 'zod';

const MIB = 1024 * 1024;
/** S3 rejects parts under 5 MiB (except the last). */
const MIN_PART = 5 * MIB;

const s3OptionsSchema = z
  .object({
    endpoint: z.url().optional(),
    region: z.string().min(1).optional(),
    accessKeyId: z.string().min(1).optional(),
    secretAccessKey: z.string().min(1).optional(),
    sessionToken: z.string().min(1).optional(),
    forcePathStyle: z.boolean().optional(),
    multipartThresholdBytes: z.number().int().min(MIN_PART).optional(),
    partSizeBytes: z.number().int().min(MIN_PART).optional(),
    partConcurrency: z.number().int().min(1).max(64).optional(),
    bufferFilesUpToBytes: z.number().int().min(0).optional(),
    maxAttempts: z.number().int().min(1).max(20).optional(),
  })
  .strict()
  .refine((o) => (o.accessKeyId === undefined) === (o.secretAccessKey === undefined), {
    message: 'give accessKeyId and secretAccessKey together',
    path: ['secretAccessKey'],
  });

/** S3 connection options; each left out falls to the standard AWS variables, then a default. */
export interface S3Options {
  /** e.g. `http://127.0.0.1:9000`; default AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL, then AWS. */
  endpoint?: string;
  /** Default AWS_REGION, then AWS_DEFAULT_REGION, then `us-east-1`. */
  region?: string;
  /** With `secretAccessKey`; default the SDK's chain (AWS_ACCESS_KEY_ID, profiles, instance roles). */
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /** Path-style URLs (`endpoint/bucket/key`); default AWS_S3_FORCE_PATH_STYLE, else true when an endpoint is set. */
  forcePathStyle?: boolean;
  /** Files at least this large go through multipart upload (default 16 MiB, at least 5 MiB). */
  multipartThresholdBytes?: number;
  /** Part size for multipart uploads (default 8 MiB, at least 5 MiB). */
  partSizeBytes?: number;
  /**
   * Multipart files up to this size are read into memory whole before upload, which is faster
   * than streaming them; larger ones stream (memory: part size x partConcurrency). Default
   * 128 MiB; 0 streams every multipart file.
   */
  bufferFilesUpToBytes?: number;
  /** Parts of one file uploaded at once (default 4). */
  partConcurrency?: number;
  /** Attempts per request including the first, for transient errors (default 5). */
  maxAttempts?: number;
}

export interface ResolvedS3Config {
  client: S3ClientConfig;
  multipartThresholdBytes: number;
  partSizeBytes: number;
  partConcurrency: number;
  bufferFilesUpToBytes: number;
  maxAttempts: number;
}

export function resolveS3Config(
  options: S3Options | undefined,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedS3Config {
  const o = parseConfig(s3OptionsSchema, options ?? {}, 's3 storage options');
  const endpoint = o.endpoint ?? nonEmpty(env.AWS_ENDPOINT_URL_S3) ?? nonEmpty(env.AWS_ENDPOINT_URL);
  const region = o.region ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? 'us-east-1';
  const pathStyleEnv = nonEmpty(env.AWS_S3_FORCE_PATH_STYLE);
  const forcePathStyle =
    o.forcePathStyle ??
    (pathStyleEnv !== undefined ? /^(1|true|yes)$/i.test(pathStyleEnv) : endpoint !== undefined);
  const maxAttempts = o.maxAttempts ?? 5;
  const client: S3ClientConfig = { region, forcePathStyle, maxAttempts, retryMode: 'standard' };
  if (endpoint) client.endpoint = endpoint;
  if (o.accessKeyId && o.secretAccessKey) {
    client.credentials = {
      accessKeyId: o.accessKeyId,
      secretAccessKey: o.secretAccessKey,
      ...(o.sessionToken ? { sessionToken: o.sessionToken } : {}),
    };
  }
  const partSizeBytes = o.partSizeBytes ?? 8 * MIB;
  return {
    client,
    multipartThresholdBytes: Math.max(o.multipartThresholdBytes ?? 16 * MIB, MIN_PART),
    partSizeBytes,
    partConcurrency: o.partConcurrency ?? 4,
    bufferFilesUpToBytes: o.bufferFilesUpToBytes ?? 128 * MIB,
    maxAttempts,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
