import { MantaError } from '@manta/core';

/** The requested TensorFlow.js backend cannot be used here; `message` says how to get it. */
export class BackendUnavailableError extends MantaError {
  readonly backend: string;
  constructor(backend: string, message: string, options?: { cause?: unknown }) {
    super('TFJS_BACKEND_UNAVAILABLE', message, options);
    this.backend = backend;
  }
}
