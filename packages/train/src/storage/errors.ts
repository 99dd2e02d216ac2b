import { MantaError } from '@manta/core';

/** A storage operation failed (I/O error, S3 error after retries). */
export class StorageError extends MantaError {
  /** The URI the operation was about. */
  readonly uri: string;
  constructor(uri: string, message: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'STORAGE_ERROR', message, options);
    this.uri = uri;
  }
}

/** A file that was read does not exist. */
export class StorageNotFoundError extends StorageError {
  constructor(uri: string, options?: { cause?: unknown }) {
    super(uri, `No file at ${uri}`, { ...options, code: 'STORAGE_NOT_FOUND' });
  }
}

/** A storage URI names a scheme no backend handles. */
export class UnknownStorageSchemeError extends MantaError {
  readonly uri: string;
  readonly scheme: string;
  readonly knownSchemes: readonly string[];
  constructor(uri: string, scheme: string, knownSchemes: readonly string[]) {
    super(
      'STORAGE_UNKNOWN_SCHEME',
      `Unknown storage scheme "${scheme}://" in "${uri}". Known: ${knownSchemes.map((s) => `${s}://`).join(', ')}, or a plain local path.`,
    );
    this.uri = uri;
    this.scheme = scheme;
    this.knownSchemes = knownSchemes;
  }
}

/** A relative storage path is malformed (absolute, or escaping the root with `..`). */
export class InvalidStoragePathError extends MantaError {
  readonly path: string;
  constructor(path: string, reason: string) {
    super('STORAGE_INVALID_PATH', `Invalid storage path "${path}": ${reason}`);
    this.path = path;
  }
}
