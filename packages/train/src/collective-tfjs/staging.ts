/**
 * Host buffers kept from one all-reduce to the next (one per bucket), so a training step does
 * not allocate megabytes of fresh arrays for V8 to collect. Only used where the backend copies
 * a tensor's values on creation (see `tensorCopiesValues`), since the buffers are overwritten
 * by the next call.
 */
export class StagingBuffers {
  private readonly buffers: Float32Array[] = [];

  /** The buffer for bucket `index`, of exactly `length` floats (contents unspecified). */
  get(index: number, length: number): Float32Array {
    let buffer = this.buffers[index];
    if (buffer?.length !== length) {
      buffer = new Float32Array(length);
      this.buffers[index] = buffer;
    }
    return buffer;
  }
}
