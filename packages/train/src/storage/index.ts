export {
  InvalidStoragePathError,
  StorageError,
  StorageNotFoundError,
  UnknownStorageSchemeError,
} from './errors.ts';
export { FsStorageImpl, localPathFromUri } from './fs_storage.ts';
export { joinPath, normalizePath } from './paths.ts';
export {
  backendFor,
  joinUri,
  type StorageBackend,
  schemeOf,
  storageBackends,
  storageFor,
} from './registry.ts';
export { isTransientError, type RetryOptions, withRetries } from './retry.ts';
export { parseS3Uri, S3StorageImpl } from './s3_storage.ts';
export type {
  S3StorageOptions,
  Storage,
  StorageCapabilities,
  StorageOptions,
  TransferOptions,
  TransferResult,
} from './types.ts';
