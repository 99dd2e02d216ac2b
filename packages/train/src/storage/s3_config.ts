/**
 * S3 options and the standard AWS environment variables -> an S3Client config. The code lives in
 * @manta/data (its `s3://` readers and writers use it too; train depends on data, not the other
 * way), and this module re-exports it for the storage backend.
 */
export { type ResolvedS3Config, resolveS3Config } from '@manta/data/internal';
